// Type declarations for the two pure-JS codec packages that ship without them.
declare module 'snappyjs' {
  export function uncompress<T extends Uint8Array>(compressed: T, maxLength?: number): T
  export function compress<T extends Uint8Array>(uncompressed: T): T
}

declare module 'lz4js' {
  export function decompress(src: Uint8Array, maxSize?: number): Uint8Array
  export function compress(src: Uint8Array, maxSize?: number): Uint8Array
}
