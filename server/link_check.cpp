// Linked with one layer's whole archive and nothing but the layers below it (civic_layer() in
// server/CMakeLists.txt): a call into a higher layer leaves an undefined symbol and fails the build.
int main() { return 0; }
