// Large copies and clears: the compiler writes REP; STOSQ for the zeroed
// 2,400-byte struct and REP; MOVSQ to copy it, and copy() of 5,000
// overlapping bytes reaches runtime.memmove's REP; MOVSQ path (compiled
// code, run as Go built it). test/golang/string.test.ts runs it.
package main

type big struct{ a [300]int }

//go:noinline
func mk(x int) big {
	var b big
	for i := range b.a {
		b.a[i] = i * x
	}
	return b
}

//go:noinline
func sum(b *big) int {
	s := 0
	for _, v := range b.a {
		s += v
	}
	return s
}

func main() {
	b := mk(3)
	c := b
	c.a[0] = 7
	s := make([]byte, 5000)
	for i := range s {
		s[i] = byte(i)
	}
	copy(s[1:], s)
	println(sum(&b), sum(&c), s[4999], s[1])
}
