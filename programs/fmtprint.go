// fmtprint: fmt's printing verbs over the emulated kernel's write(2):
// Println of strings, integers and slices, Printf with widths, flags,
// %v of a struct, %q, %x, %c, %U, Sprintf, an Errorf's message, and
// os.Stdout.Write. fmt's own code (its reflection included) runs as Go
// compiled it; the output is real Go's byte for byte. (Not here, because
// the emulated runtime does not provide them yet: %T and %+v, which read
// type names through reflect.resolveNameOff, and printing a value with an
// Error or String method, or an error with %w, which fmt does under a
// deferred recover.)
package main

import (
	"errors"
	"fmt"
	"os"
)

type point struct {
	X, Y int
	Name string
}

func main() {
	fmt.Println("hello", 42, []int{1, 2})
	fmt.Println(true, nil, -7, uint8(200), 'x', "tab\there", [3]string{"a", "b", "c"})
	p := point{1, -2, "origin"}
	fmt.Printf("%v %v\n", p, &p == nil)
	fmt.Printf("|%5d|%-5d|%05d|%x|%X|%o|%b|%#x|\n", 42, 42, 42, 255, 255, 8, 5, 3054)
	fmt.Printf("|%q|%10s|%-10s|%c|%U|%v|\n", "quote\"d", "right", "left", 'G', 0x1F600, []string{"x", "y"})
	fmt.Printf("%d %s %v %v\n", []byte("hi"), []byte("hi"), struct{}{}, [2]bool{})
	s := fmt.Sprintf("%s-%d-%t", "a", 1, false)
	fmt.Println(s, len(s))
	err := fmt.Errorf("code %d: %s", 7, "inner")
	fmt.Println(err.Error(), errors.Unwrap(err) == nil)
	fmt.Printf("%v %d%%\n", err == nil, 100)
	os.Stdout.Write([]byte("raw write\n"))
	fmt.Fprintln(os.Stderr, "to stderr", 1)
}
