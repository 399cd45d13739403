// Reads the resident's QR code with the till's camera: the browser's BarcodeDetector where it
// has one (Chrome on Android, macOS, ChromeOS), else jsQR (web/vendor, docs/dependencies.md)
// on frames drawn to a canvas. The keyboard-wedge scanner needs none of this: it types the code
// into the code field and presses Enter.
const FRAME_INTERVAL_MS = 150;

async function detector() {
  if ('BarcodeDetector' in window) {
    try {
      if ((await window.BarcodeDetector.getSupportedFormats()).includes('qr_code')) {
        const native = new window.BarcodeDetector({ formats: ['qr_code'] });
        return async (video) => {
          const codes = await native.detect(video);
          return codes.length ? codes[0].rawValue : null;
        };
      }
    } catch {
      // fall through to jsQR
    }
  }
  await import('/web/vendor/jsqr-1.4.0.js');  // UMD: defines self.jsQR
  const canvas = document.createElement('canvas');
  const g = canvas.getContext('2d', { willReadFrequently: true });
  return async (video) => {
    if (!video.videoWidth) return null;
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    g.drawImage(video, 0, 0);
    const image = g.getImageData(0, 0, canvas.width, canvas.height);
    const code = self.jsQR(image.data, image.width, image.height, { inversionAttempts: 'dontInvert' });
    return code ? code.data : null;
  };
}

// Starts the camera into `video` and calls onCode(text) once for the first code seen; returns
// stop(). Throws when there is no camera or the person refuses it.
export async function startScanning(video, onCode) {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
  video.srcObject = stream;
  await video.play();
  const detect = await detector();
  let stopped = false;
  let timer = null;
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  };
  const look = async () => {
    if (stopped) return;
    let text = null;
    try {
      text = await detect(video);
    } catch {
      // a frame that cannot be read: try the next one
    }
    if (stopped) return;
    if (text) {
      stop();
      onCode(text.trim());
      return;
    }
    timer = setTimeout(look, FRAME_INTERVAL_MS);
  };
  look();
  return stop;
}
