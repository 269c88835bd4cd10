;; Exact integer dot products of int8 key codes with an int16 query code, with WebAssembly SIMD, for the
;; quantized key index's lower bounds. `codes` holds `rows` rows of `stride` bytes (a multiple of 16, zero
;; padded), `query` the query's `stride` int16 codes (zero padded), `out` gets one int32 per row. Codes lie in
;; [-127, 127], so a row's sum is exact while stride · 127² < 2³¹. Compiled into integer-dot-products-module.ts
;; by `pnpm --filter @grace/core generate:wasm`.
(module
  (import "env" "memory" (memory 1))

  (func (export "integerDots")
    (param $codes i32) (param $query i32) (param $out i32) (param $rows i32) (param $stride i32)
    (local $row i32) (local $at i32) (local $end i32) (local $code i32) (local $sum v128) (local $bytes v128)
    (block $rowsDone
      (loop $rowsLoop
        (br_if $rowsDone (i32.ge_u (local.get $row) (local.get $rows)))
        (local.set $at (i32.add (local.get $codes) (i32.mul (local.get $row) (local.get $stride))))
        (local.set $end (i32.add (local.get $at) (local.get $stride)))
        (local.set $code (local.get $query))
        (local.set $sum (v128.const i32x4 0 0 0 0))
        ;; Sixteen key codes per pass: widened to int16 and multiplied pairwise with the query's codes.
        (block $columnsDone
          (loop $columnsLoop
            (br_if $columnsDone (i32.ge_u (local.get $at) (local.get $end)))
            (local.set $bytes (v128.load (local.get $at)))
            (local.set $sum
              (i32x4.add (local.get $sum)
                (i32x4.add
                  (i32x4.dot_i16x8_s
                    (i16x8.extend_low_i8x16_s (local.get $bytes)) (v128.load (local.get $code)))
                  (i32x4.dot_i16x8_s
                    (i16x8.extend_high_i8x16_s (local.get $bytes)) (v128.load offset=16 (local.get $code))))))
            (local.set $at (i32.add (local.get $at) (i32.const 16)))
            (local.set $code (i32.add (local.get $code) (i32.const 32)))
            (br $columnsLoop)))
        (i32.store (i32.add (local.get $out) (i32.shl (local.get $row) (i32.const 2)))
          (i32.add
            (i32.add (i32x4.extract_lane 0 (local.get $sum)) (i32x4.extract_lane 1 (local.get $sum)))
            (i32.add (i32x4.extract_lane 2 (local.get $sum)) (i32x4.extract_lane 3 (local.get $sum)))))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $rowsLoop)))))
