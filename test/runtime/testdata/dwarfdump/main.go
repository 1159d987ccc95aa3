// dwarfdump prints the layout of runtime types and variables as the DWARF of
// its own executable records them, for test/runtime/dwarf.test.ts: the
// offsets inside anonymous struct fields, which go_asm.h does not show.
//
// Each argument is a type (runtime.schedt) or a variable (var:runtime.stackpool).
// Output lines: "<path> <offset> <size>", offsets relative to the enclosing
// struct, "<path> - <size>" for a struct's own size; a path ending in "[]" is
// an array's element type. Names without DWARF are listed as "# <name> not
// found" (types only reached through unsafe casts are not emitted).
package main

import (
	"debug/dwarf"
	"debug/elf"
	"fmt"
	"os"
	"strings"
)

func dump(path string, t dwarf.Type) {
	fmt.Printf("%s - %d\n", path, t.Size())
	switch t := t.(type) {
	case *dwarf.StructType:
		for _, f := range t.Field {
			fmt.Printf("%s.%s %d %d\n", path, f.Name, f.ByteOffset, f.Type.Size())
			if st, ok := f.Type.(*dwarf.StructType); ok && strings.HasPrefix(st.StructName, "struct ") {
				dump(path+"."+f.Name, st)
			}
		}
	case *dwarf.ArrayType:
		dump(path+"[]", t.Type)
	case *dwarf.TypedefType:
		dump(path, t.Type)
	}
}

func main() {
	exe, err := os.Executable()
	if err != nil {
		panic(err)
	}
	f, err := elf.Open(exe)
	if err != nil {
		panic(err)
	}
	d, err := f.DWARF()
	if err != nil {
		panic(err)
	}
	want := map[string]bool{}
	for _, a := range os.Args[1:] {
		want[a] = true
	}
	r := d.Reader()
	for {
		e, err := r.Next()
		if err != nil {
			panic(err)
		}
		if e == nil {
			break
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		switch {
		case e.Tag == dwarf.TagStructType && want[name]:
			t, err := d.Type(e.Offset)
			if err != nil {
				panic(err)
			}
			dump(name, t)
			delete(want, name)
		case e.Tag == dwarf.TagVariable && want["var:"+name]:
			t, err := d.Type(e.Val(dwarf.AttrType).(dwarf.Offset))
			if err != nil {
				panic(err)
			}
			dump(name, t)
			delete(want, "var:"+name)
		}
	}
	for w := range want {
		fmt.Printf("# %s not found\n", w)
	}
}
