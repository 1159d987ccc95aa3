// nilmap: writing to a nil map panics; the map code is Go's, compiled, over our allocator.
package main

func main() {
	m := map[string]int{"one": 1}
	m["two"] = 2
	println("len", len(m), "two =", m["two"])
	var nilm map[string]int
	println("reading a nil map is fine:", nilm["x"])
	nilm["x"] = 1
	println("not reached")
}
