#!/usr/bin/env bash
# Regenerates the photo fixtures. Needs ImageMagick 6 (`convert`), exiftool and python3 —
# tools for making fixtures only: neither the build nor the tests run this script.
#   apt-get install -y imagemagick libimage-exiftool-perl
set -euo pipefail
cd "$(dirname "$0")"
C=/usr/bin/convert

# Landscape 64x48 pixels, left half red, right half blue, stored sideways: EXIF Orientation=6
# (rotate 90° clockwise to display), GPS position, camera make, an XMP packet, a COM comment.
$C -size 32x48 xc:'#d02020' -size 32x48 xc:'#2040d0' +append -quality 90 -strip gps_orient6.jpg
exiftool -q -overwrite_original -n -Orientation=6 -GPSLatitude=23.3672 -GPSLatitudeRef=N \
  -GPSLongitude=103.3745 -GPSLongitudeRef=E -Make=CivicTestCam \
  -XMP-dc:Description='secret-xmp-note' -Comment='secret-comment-text' gps_orient6.jpg

# 800x600 smooth noise: the same picture at two qualities (near-duplicates), and another one.
$C -size 800x600 -seed 7 plasma:fractal -blur 0x2 -quality 85 -strip plain.jpg
$C -size 800x600 -seed 7 plasma:fractal -blur 0x2 -quality 60 -strip plain_q60.jpg
$C -size 800x600 -seed 99 plasma:fractal -blur 0x2 -quality 85 -strip other.jpg

# PNGs: a 400x300 gradient with a disc; a 64x48 one carrying tEXt, iTXt (XMP) and eXIf (GPS).
$C -size 400x300 gradient:'#204080-#e0c040' -fill '#ffffff' -draw 'circle 200,150 260,150' -strip plain.png
$C -size 64x48 gradient:'#ff8000-#0080ff' -fill black -draw 'rectangle 10,10 30,30' -strip \
  -set comment 'secret-png-text' with_text.png
exiftool -q -overwrite_original -XMP-dc:Description='secret-itxt-xmp' -GPSLatitude=23.3672 \
  -GPSLatitudeRef=N -Make=CivicTestCam with_text.png

# An Adam7-interlaced palette PNG whose left half is transparent (tRNS); a 16-bit grey PNG.
$C -size 40x30 xc:'#ff0000' -fill '#0000ff' -draw 'rectangle 0,0 19,29' -transparent '#0000ff' \
  -interlace PNG PNG8:palette_interlaced.png
$C -size 32x24 gradient:white-black -colorspace Gray -depth 16 -strip gray16.png

# A CMYK JPEG (Adobe-style inverted inks) of a red square.
$C -size 16x16 xc:'#e02020' -colorspace CMYK -quality 90 -strip cmyk_red.jpg

# Broken and hostile inputs.
head -c 19000 plain.jpg > truncated.jpg                 # cut in the middle of the scan
$C -size 8x8 xc:green gif:gif_named.jpg                 # a GIF named .jpg
printf 'This is not a photo, just text named like one.\n' > text_named.jpg
$C -size 16x16 xc:gray -quality 90 -strip tiny.jpg
python3 - <<'PY'
import struct, zlib

def chunk(kind, data):
    return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))

# PNG bomb: a valid IHDR claiming 10000x10000 RGB (100 Mpx, each side under 20000) and a tiny
# IDAT holding one filtered row: decoding would need 300 MB before noticing the data ends.
ihdr = struct.pack('>IIBBBBB', 10000, 10000, 8, 2, 0, 0, 0)
idat = zlib.compress(b'\x00' + b'\x00' * 30000, 9)
with open('bomb_10000x10000.png', 'wb') as f:
    f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', idat) + chunk(b'IEND', b''))

# JPEG whose SOF0 claims 30000x30000 (tiny.jpg with the frame size patched).
data = bytearray(open('tiny.jpg', 'rb').read())
sof = data.find(b'\xff\xc0')
assert sof > 0
struct.pack_into('>HH', data, sof + 5, 30000, 30000)
open('sof_30000x30000.jpg', 'wb').write(bytes(data))
PY
rm tiny.jpg
