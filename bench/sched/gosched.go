// Two goroutines take turns through runtime.Gosched, N times each.
package main

import (
	"os"
	"runtime"
	"strconv"
)

func main() {
	n, _ := strconv.Atoi(os.Args[1])
	done := make(chan bool)
	for k := 0; k < 2; k++ {
		go func() {
			for i := 0; i < n; i++ {
				runtime.Gosched()
			}
			done <- true
		}()
	}
	<-done
	<-done
}
