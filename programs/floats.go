// floats: float64 and float32 arithmetic, conversions, compares and the
// math functions compiled for GOAMD64=v1 (SSE2 scalar instructions, and
// math's assembly for Floor, Ceil and Trunc), printed by println and by
// fmt and strconv, whose shortest-digit formatting and parsing run on the
// emulated CPU too. The edge cases are the IEEE ones: -0, infinities, NaN
// (which compares unequal to itself), denormals, rounding ties, and
// float-to-integer conversions that do not fit (amd64 gives the integer
// indefinite, 0x8000000000000000).
package main

import (
	"fmt"
	"math"
	"strconv"
)

// The inputs go through calls (the package is built without inlining) so
// the compiler cannot fold the arithmetic into constants.
func id(x float64) float64   { return x }
func id32(x float32) float32 { return x }

func main() {
	x, y := id(22), id(7)
	println("println:", x/y, x*y, x-y, -x, x+0.5)
	fmt.Println("div:", x/y, float32(x)/float32(y))
	fmt.Printf("printf: %.3f %e %g %8.2f|%-8.2f| %v\n", x/y, id(1e21), id(0.000001), id(3.14159), id(2.5), id(1)/3)

	// Conversions, in range and out of it.
	n := int64(-42)
	f := float64(n) * id(1.5)
	fmt.Println("conv:", f, int64(f), int32(f), uint8(int(id(300))), float32(f), float64(float32(id(0.1))))
	big := id(1e300)
	fmt.Println("indefinite:", int64(big), int64(-big), int64(math.NaN()), int32(id(3e9)))
	fmt.Println("uint64:", uint64(id(1.8446744073709550e19)), uint64(id(9.3e18)), float64(uint64(1<<63+1025)))
	fmt.Println("int64 to float:", float64(int64(1<<53+1)), float32(int64(1<<60+1<<36+1)), float32(int32(16777217)))

	// Compares, NaN and signed zero.
	nan, inf, zero := math.NaN(), math.Inf(1), id(0)
	negz := -zero
	fmt.Println("compare:", x < y, x > y, x == x, nan == nan, nan != nan, nan < 1, nan >= 1, negz == zero)
	fmt.Println("special:", inf, -inf, nan, negz, 1/negz, inf-inf, zero/zero, math.Signbit(negz))
	fmt.Println("denormal:", math.SmallestNonzeroFloat64, id(5e-324)/2, id(2.2250738585072014e-308)/4, math.MaxFloat64, id(math.MaxFloat64)*2)

	// float32.
	a, b := id32(1.5), id32(2.25)
	fmt.Println("float32:", a*b+a-b/a, id32(0.1)+id32(0.2), id32(16777216)+1, id32(1)/3, math.Float32bits(id32(1)/3))

	// math.
	fmt.Println("math:", math.Sqrt(id(2)), math.Sqrt(id(-1)), math.Abs(id(-3.5)), math.Floor(id(2.7)), math.Floor(id(-2.5)),
		math.Ceil(id(-2.5)), math.Ceil(id(2.1)), math.Trunc(id(-2.7)), math.Max(id(3), id(-1)), math.Min(negz, zero))
	fmt.Println("bits:", math.Float64bits(id(-2)), math.Float64frombits(0x3ff8000000000000), math.Copysign(id(3), -1))

	// strconv.
	fmt.Println("format:", strconv.FormatFloat(id(1)/3, 'g', -1, 64), strconv.FormatFloat(id(1)/3, 'f', 4, 32),
		strconv.FormatFloat(id(123456789), 'e', 3, 64), strconv.FormatFloat(id(0.1), 'b', -1, 64))
	for _, s := range []string{"2.718281828", "1e-320", "-0", "inf", "0x1p-2", "1e400", "x"} {
		v, err := strconv.ParseFloat(s, 64)
		msg := "ok"
		if err != nil {
			msg = err.Error() // fmt would print the error through a deferred recover, which is not provided
		}
		fmt.Println("parse:", s, v, msg)
	}
	v32, _ := strconv.ParseFloat("3.4028235e38", 32)
	fmt.Println("parse32:", v32, float32(v32))

	// A loop of float work: a sum whose rounding the order decides.
	sum := 0.0
	for i := 1; i <= 1000; i++ {
		sum += 1 / float64(i)
	}
	fmt.Printf("harmonic(1000) = %.15f %v\n", sum, sum)
}
