/** Go's GOARCH names, which Docker clients and image indexes use, for Node's process.arch. */
const GOARCH: Readonly<Record<string, string>> = {
  x64: 'amd64',
  ia32: '386',
  arm64: 'arm64',
  arm: 'arm',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
};

/** This host's architecture as Go names it ("amd64", "arm64", …). */
export function goArch(arch: string = process.arch): string {
  return GOARCH[arch] ?? arch;
}
