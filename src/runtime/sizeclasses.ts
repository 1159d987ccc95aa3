// Size classes of Go 1.19's allocator (sizeclasses.go), as data.
//
// A small allocation (up to 32 KiB) is rounded up to one of 67 sizes; each
// class has its own spans of class_to_allocnpages pages, cut into objects of
// class_to_size bytes. These tables are facts about Go 1.19 (generated there
// by mksizeclasses.go), reproduced so that our objects get the sizes, and
// therefore the addresses, Go's would.

import { _NumSizeClasses, largeSizeDiv, smallSizeDiv, smallSizeMax } from "./runtime2.ts";

export const class_to_size: readonly number[] = [
  0, 8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208,
  224, 240, 256, 288, 320, 352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 896,
  1024, 1152, 1280, 1408, 1536, 1792, 2048, 2304, 2688, 3072, 3200, 3456, 4096, 4864, 5376, 6144,
  6528, 6784, 6912, 8192, 9472, 9728, 10240, 10880, 12288, 13568, 14336, 16384, 18432, 19072, 20480, 21760,
  24576, 27264, 28672, 32768,
];

export const class_to_allocnpages: readonly number[] = [
  0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 2, 1, 2, 1, 2, 1, 3, 2, 3, 1, 3, 2, 3, 4, 5, 6, 1, 7, 6, 5, 4, 3, 5, 7, 2, 9, 7, 5, 8, 3, 10, 7, 4,
];

/** ^uint32(0)/size + 1: division by the element size as a multiplication (mspan.divMul). */
export const class_to_divmagic: readonly number[] = class_to_size.map((s) => (s === 0 ? 0 : Math.floor(0xffffffff / s) + 1));

/** Size class by divRoundUp(size, smallSizeDiv), for sizes up to smallSizeMax-8. */
export const size_to_class8: readonly number[] = [
  0, 1, 2, 3, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15, 16, 16, 17, 17, 18, 18,
  19, 19, 19, 19, 20, 20, 20, 20, 21, 21, 21, 21, 22, 22, 22, 22, 23, 23, 23, 23, 24, 24, 24, 24, 25, 25, 25, 25, 26, 26, 26, 26, 27,
  27, 27, 27, 27, 27, 27, 27, 28, 28, 28, 28, 28, 28, 28, 28, 29, 29, 29, 29, 29, 29, 29, 29, 30, 30, 30, 30, 30, 30, 30, 30, 31, 31,
  31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32,
];

/** Size class by divRoundUp(size-smallSizeMax, largeSizeDiv), above that. */
export const size_to_class128: readonly number[] = [
  32, 33, 34, 35, 36, 37, 37, 38, 38, 39, 39, 40, 40, 40, 41, 41, 41, 42, 43, 43, 44, 44, 44, 44, 44, 45, 45, 45, 45, 45, 45, 46,
  46, 46, 46, 47, 47, 47, 47, 47, 47, 48, 48, 48, 49, 49, 50, 51, 51, 51, 51, 51, 51, 51, 51, 51, 51, 52, 52, 52, 52, 52, 52, 52,
  52, 52, 52, 53, 53, 54, 54, 54, 54, 55, 55, 55, 55, 55, 56, 56, 56, 56, 56, 56, 56, 56, 56, 56, 56, 57, 57, 57, 57, 57, 57, 57,
  57, 57, 57, 58, 58, 58, 58, 58, 58, 59, 59, 59, 59, 59, 59, 59, 59, 59, 59, 59, 59, 59, 59, 59, 59, 60, 60, 60, 60, 60, 60, 60,
  60, 60, 60, 60, 60, 60, 60, 60, 60, 61, 61, 61, 61, 61, 62, 62, 62, 62, 62, 62, 62, 62, 62, 62, 62, 63, 63, 63, 63, 63, 63, 63,
  63, 63, 63, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 65, 65, 65, 65, 65, 65, 65,
  65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 67, 67, 67, 67, 67, 67, 67,
  67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67,
];

if (class_to_size.length !== _NumSizeClasses || class_to_allocnpages.length !== _NumSizeClasses ||
    size_to_class8.length !== smallSizeMax / smallSizeDiv + 1 || size_to_class128.length !== (32768 - smallSizeMax) / largeSizeDiv + 1) {
  throw new Error("sizeclasses: table lengths");
}

export function divRoundUp(n: number, a: number): number {
  return Math.floor((n + a - 1) / a);
}

/** The size class of a small allocation of size bytes (0 < size <= _MaxSmallSize). */
export function sizeToClass(size: number): number {
  return size <= smallSizeMax - 8
    ? size_to_class8[divRoundUp(size, smallSizeDiv)]!
    : size_to_class128[divRoundUp(size - smallSizeMax, largeSizeDiv)]!;
}

/** A spanClass: size class << 1 | noscan. */
export function makeSpanClass(sizeclass: number, noscan: boolean): number {
  return (sizeclass << 1) | (noscan ? 1 : 0);
}

export function spanClassSizeclass(spc: number): number {
  return spc >> 1;
}

export function spanClassNoscan(spc: number): boolean {
  return (spc & 1) !== 0;
}

// roundupsize (msize.go): the size mallocgc really allocates for size bytes:
// its size class's size when small, whole pages when large.
export function roundupsize(size: number): number {
  if (size < 32768) return class_to_size[sizeToClass(size)]!;
  return Math.ceil(size / 8192) * 8192;
}
