// gc: runtime.GC is a function of Go's runtime the emulated runtime does not serve.
package main

import "runtime"

func main() {
	println("collecting")
	runtime.GC()
	println("not reached")
}
