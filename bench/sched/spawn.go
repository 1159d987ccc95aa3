// go noop(); Gosched(), N times: goroutines created and exited.
package main

import (
	"os"
	"runtime"
	"strconv"
)

//go:noinline
func noop() {}

func main() {
	n, _ := strconv.Atoi(os.Args[1])
	for i := 0; i < n; i++ {
		go noop()
		runtime.Gosched()
	}
}
