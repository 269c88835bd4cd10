;; Float32 matrix products with WebAssembly SIMD (f32x4), for value training on the cpu backend.
;; Operands are row-major float32 matrices at byte offsets into the imported memory; every function ADDS its
;; product into `out`. Compiled into matrix-product-module.ts by `pnpm --filter @grace/backend-cpu generate:wasm`.
(module
  (import "env" "memory" (memory 1))

  ;; out[m,n] += sum_k left[m,k] * right[k,n]. Order m-k-n: four rows of `right` per pass over a row of `out`,
  ;; four columns per vector; the columns past the last multiple of 4 and the last (shared mod 4) rows of `right`
  ;; are done one at a time.
  (func (export "product")
    (param $left i32) (param $right i32) (param $out i32)
    (param $rows i32) (param $shared i32) (param $columns i32)
    (local $m i32) (local $k i32) (local $offset i32)
    (local $rowBytes i32) (local $vectorBytes i32) (local $quadEnd i32)
    (local $outRow i32) (local $leftAt i32)
    (local $r0 i32) (local $r1 i32) (local $r2 i32) (local $r3 i32)
    (local $s0 f32) (local $s1 f32) (local $s2 f32) (local $s3 f32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $rowBytes (i32.shl (local.get $columns) (i32.const 2)))
    (local.set $vectorBytes (i32.shl (i32.and (local.get $columns) (i32.const -4)) (i32.const 2)))
    (local.set $quadEnd (i32.and (local.get $shared) (i32.const -4)))
    (block $rowsDone
      (loop $rowsLoop
        (br_if $rowsDone (i32.ge_u (local.get $m) (local.get $rows)))
        (local.set $outRow (i32.add (local.get $out) (i32.mul (local.get $m) (local.get $rowBytes))))
        (local.set $k (i32.const 0))
        (block $quadsDone
          (loop $quadsLoop
            (br_if $quadsDone (i32.ge_u (local.get $k) (local.get $quadEnd)))
            (local.set $leftAt
              (i32.add (local.get $left)
                (i32.shl (i32.add (i32.mul (local.get $m) (local.get $shared)) (local.get $k)) (i32.const 2))))
            (local.set $s0 (f32.load (local.get $leftAt)))
            (local.set $s1 (f32.load offset=4 (local.get $leftAt)))
            (local.set $s2 (f32.load offset=8 (local.get $leftAt)))
            (local.set $s3 (f32.load offset=12 (local.get $leftAt)))
            (local.set $a0 (f32x4.splat (local.get $s0)))
            (local.set $a1 (f32x4.splat (local.get $s1)))
            (local.set $a2 (f32x4.splat (local.get $s2)))
            (local.set $a3 (f32x4.splat (local.get $s3)))
            (local.set $r0 (i32.add (local.get $right) (i32.mul (local.get $k) (local.get $rowBytes))))
            (local.set $r1 (i32.add (local.get $r0) (local.get $rowBytes)))
            (local.set $r2 (i32.add (local.get $r1) (local.get $rowBytes)))
            (local.set $r3 (i32.add (local.get $r2) (local.get $rowBytes)))
            (local.set $offset (i32.const 0))
            (block $vectorsDone
              (loop $vectorsLoop
                (br_if $vectorsDone (i32.ge_u (local.get $offset) (local.get $vectorBytes)))
                (v128.store (i32.add (local.get $outRow) (local.get $offset))
                  (f32x4.add
                    (f32x4.add
                      (v128.load (i32.add (local.get $outRow) (local.get $offset)))
                      (f32x4.add
                        (f32x4.mul (local.get $a0) (v128.load (i32.add (local.get $r0) (local.get $offset))))
                        (f32x4.mul (local.get $a1) (v128.load (i32.add (local.get $r1) (local.get $offset))))))
                    (f32x4.add
                      (f32x4.mul (local.get $a2) (v128.load (i32.add (local.get $r2) (local.get $offset))))
                      (f32x4.mul (local.get $a3) (v128.load (i32.add (local.get $r3) (local.get $offset)))))))
                (local.set $offset (i32.add (local.get $offset) (i32.const 16)))
                (br $vectorsLoop)))
            (block $tailDone
              (loop $tailLoop
                (br_if $tailDone (i32.ge_u (local.get $offset) (local.get $rowBytes)))
                (f32.store (i32.add (local.get $outRow) (local.get $offset))
                  (f32.add
                    (f32.add
                      (f32.load (i32.add (local.get $outRow) (local.get $offset)))
                      (f32.add
                        (f32.mul (local.get $s0) (f32.load (i32.add (local.get $r0) (local.get $offset))))
                        (f32.mul (local.get $s1) (f32.load (i32.add (local.get $r1) (local.get $offset))))))
                    (f32.add
                      (f32.mul (local.get $s2) (f32.load (i32.add (local.get $r2) (local.get $offset))))
                      (f32.mul (local.get $s3) (f32.load (i32.add (local.get $r3) (local.get $offset)))))))
                (local.set $offset (i32.add (local.get $offset) (i32.const 4)))
                (br $tailLoop)))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $quadsLoop)))
        (block $singlesDone
          (loop $singlesLoop
            (br_if $singlesDone (i32.ge_u (local.get $k) (local.get $shared)))
            (local.set $s0
              (f32.load (i32.add (local.get $left)
                (i32.shl (i32.add (i32.mul (local.get $m) (local.get $shared)) (local.get $k)) (i32.const 2)))))
            (local.set $a0 (f32x4.splat (local.get $s0)))
            (local.set $r0 (i32.add (local.get $right) (i32.mul (local.get $k) (local.get $rowBytes))))
            (local.set $offset (i32.const 0))
            (block $singleVectorsDone
              (loop $singleVectorsLoop
                (br_if $singleVectorsDone (i32.ge_u (local.get $offset) (local.get $vectorBytes)))
                (v128.store (i32.add (local.get $outRow) (local.get $offset))
                  (f32x4.add
                    (v128.load (i32.add (local.get $outRow) (local.get $offset)))
                    (f32x4.mul (local.get $a0) (v128.load (i32.add (local.get $r0) (local.get $offset))))))
                (local.set $offset (i32.add (local.get $offset) (i32.const 16)))
                (br $singleVectorsLoop)))
            (block $singleTailDone
              (loop $singleTailLoop
                (br_if $singleTailDone (i32.ge_u (local.get $offset) (local.get $rowBytes)))
                (f32.store (i32.add (local.get $outRow) (local.get $offset))
                  (f32.add
                    (f32.load (i32.add (local.get $outRow) (local.get $offset)))
                    (f32.mul (local.get $s0) (f32.load (i32.add (local.get $r0) (local.get $offset))))))
                (local.set $offset (i32.add (local.get $offset) (i32.const 4)))
                (br $singleTailLoop)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $singlesLoop)))
        (local.set $m (i32.add (local.get $m) (i32.const 1)))
        (br $rowsLoop))))

  ;; out[m,n] += sum_k left[m,k] * right[n,k]: a dot product of two contiguous rows per output element, eight
  ;; floats per step in two vector accumulators, then four, then one at a time.
  (func (export "productTransposedRight")
    (param $left i32) (param $right i32) (param $out i32)
    (param $rows i32) (param $shared i32) (param $columns i32)
    (local $m i32) (local $n i32) (local $offset i32)
    (local $sharedBytes i32) (local $octetBytes i32) (local $quadBytes i32)
    (local $leftRow i32) (local $rightRow i32) (local $outAt i32)
    (local $sum0 v128) (local $sum1 v128) (local $total f32)
    (local.set $sharedBytes (i32.shl (local.get $shared) (i32.const 2)))
    (local.set $octetBytes (i32.shl (i32.and (local.get $shared) (i32.const -8)) (i32.const 2)))
    (local.set $quadBytes (i32.shl (i32.and (local.get $shared) (i32.const -4)) (i32.const 2)))
    (block $rowsDone
      (loop $rowsLoop
        (br_if $rowsDone (i32.ge_u (local.get $m) (local.get $rows)))
        (local.set $leftRow (i32.add (local.get $left) (i32.mul (local.get $m) (local.get $sharedBytes))))
        (local.set $n (i32.const 0))
        (block $columnsDone
          (loop $columnsLoop
            (br_if $columnsDone (i32.ge_u (local.get $n) (local.get $columns)))
            (local.set $rightRow (i32.add (local.get $right) (i32.mul (local.get $n) (local.get $sharedBytes))))
            (local.set $sum0 (v128.const f32x4 0 0 0 0))
            (local.set $sum1 (v128.const f32x4 0 0 0 0))
            (local.set $offset (i32.const 0))
            (block $octetsDone
              (loop $octetsLoop
                (br_if $octetsDone (i32.ge_u (local.get $offset) (local.get $octetBytes)))
                (local.set $sum0
                  (f32x4.add (local.get $sum0)
                    (f32x4.mul
                      (v128.load (i32.add (local.get $leftRow) (local.get $offset)))
                      (v128.load (i32.add (local.get $rightRow) (local.get $offset))))))
                (local.set $sum1
                  (f32x4.add (local.get $sum1)
                    (f32x4.mul
                      (v128.load offset=16 (i32.add (local.get $leftRow) (local.get $offset)))
                      (v128.load offset=16 (i32.add (local.get $rightRow) (local.get $offset))))))
                (local.set $offset (i32.add (local.get $offset) (i32.const 32)))
                (br $octetsLoop)))
            (if (i32.lt_u (local.get $offset) (local.get $quadBytes))
              (then
                (local.set $sum0
                  (f32x4.add (local.get $sum0)
                    (f32x4.mul
                      (v128.load (i32.add (local.get $leftRow) (local.get $offset)))
                      (v128.load (i32.add (local.get $rightRow) (local.get $offset))))))
                (local.set $offset (i32.add (local.get $offset) (i32.const 16)))))
            (local.set $sum0 (f32x4.add (local.get $sum0) (local.get $sum1)))
            (local.set $total
              (f32.add
                (f32.add (f32x4.extract_lane 0 (local.get $sum0)) (f32x4.extract_lane 1 (local.get $sum0)))
                (f32.add (f32x4.extract_lane 2 (local.get $sum0)) (f32x4.extract_lane 3 (local.get $sum0)))))
            (block $tailDone
              (loop $tailLoop
                (br_if $tailDone (i32.ge_u (local.get $offset) (local.get $sharedBytes)))
                (local.set $total
                  (f32.add (local.get $total)
                    (f32.mul
                      (f32.load (i32.add (local.get $leftRow) (local.get $offset)))
                      (f32.load (i32.add (local.get $rightRow) (local.get $offset))))))
                (local.set $offset (i32.add (local.get $offset) (i32.const 4)))
                (br $tailLoop)))
            (local.set $outAt
              (i32.add (local.get $out)
                (i32.shl (i32.add (i32.mul (local.get $m) (local.get $columns)) (local.get $n)) (i32.const 2))))
            (f32.store (local.get $outAt) (f32.add (f32.load (local.get $outAt)) (local.get $total)))
            (local.set $n (i32.add (local.get $n) (i32.const 1)))
            (br $columnsLoop)))
        (local.set $m (i32.add (local.get $m) (i32.const 1)))
        (br $rowsLoop)))))
