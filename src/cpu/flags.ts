// Which flags each operation leaves undefined, in one place.
//
// The Intel SDM leaves some arithmetic flags undefined after some
// instructions; real CPUs, QEMU (unicorn) and this interpreter may then
// disagree without any of them being wrong. A lockstep comparison masks
// RFLAGS with ~undefinedFlags(op) before comparing. Where the SDM makes a
// flag undefined only for some operand values (a shift count above 1, a
// count beyond the operand width) the optional detail narrows the mask;
// without it the mask is the widest for that op.

import { AF, CF, OF, PF, SF, ZF } from "../x86/regs.ts";
import type { Op } from "../x86/table.ts";

export interface FlagDetail {
  /** Masked shift/rotate count. */
  count?: number;
  /** Operand width in bytes. */
  size?: number;
}

export function undefinedFlags(op: Op | "int3" | "bad", d: FlagDetail = {}): number {
  switch (op) {
    case "and": case "or": case "xor": case "test":
      return AF;
    case "shl": case "shr": case "sar": {
      let m = AF;
      if (d.count === undefined || d.count !== 1) m |= OF;
      // CF is undefined when an 8/16-bit operand is shifted by its width or more.
      if (d.count === undefined || (d.size !== undefined && d.size < 4 && d.count >= d.size * 8)) m |= CF;
      if (d.count === 0) m = 0;
      return m;
    }
    case "rol": case "ror":
      return d.count === 1 || d.count === 0 ? 0 : OF;
    case "mul": case "imul2": case "imul3":
      return SF | ZF | AF | PF;
    case "div": case "idiv":
      return CF | PF | AF | ZF | SF | OF;
    case "bt": case "bts": case "btr": case "btc":
      return OF | SF | AF | PF;
    case "bsf": case "bsr":
      return CF | OF | SF | AF | PF;
    default:
      return 0;
  }
}
