package bertc

/*
#include <stdlib.h>
#include <string.h>
#include "shim.h"
*/
import "C"

import (
	"strings"
	"unsafe"
)

// cmem collects the C allocations of one call: strings and arrays that must live in C memory
// because they are stored in C structs or pointer arrays (cgo forbids Go pointers there). free
// releases all of them after the call.
type cmem struct {
	blocks []unsafe.Pointer
	err    error
}

func (m *cmem) free() {
	for _, b := range m.blocks {
		C.free(b)
	}
	m.blocks = nil
}

func (m *cmem) alloc(n int) unsafe.Pointer {
	if n == 0 {
		n = 1
	}
	p := C.malloc(C.size_t(n)) // cgo's C.malloc never returns nil (it aborts on exhaustion)
	m.blocks = append(m.blocks, p)
	return p
}

// noNUL records an error when s (a NUL-terminated C string to be) contains a NUL byte, which would
// silently cut it short.
func (m *cmem) noNUL(s, what string) bool {
	if strings.IndexByte(s, 0) >= 0 {
		if m.err == nil {
			m.err = argError(what + " contains a NUL byte")
		}
		return false
	}
	return true
}

// cstr copies s into a NUL-terminated C string.
func (m *cmem) cstr(s, what string) *C.char {
	m.noNUL(s, what)
	p := m.alloc(len(s) + 1)
	b := unsafe.Slice((*byte)(p), len(s)+1)
	copy(b, s)
	b[len(s)] = 0
	return (*C.char)(p)
}

// optStr is cstr, or NULL for "" (the library default).
func (m *cmem) optStr(s, what string) *C.char {
	if s == "" {
		return nil
	}
	return m.cstr(s, what)
}

// strs copies ss into one C block: an array of pointers, an array of byte lengths and the bytes
// (each NUL-terminated too). With cString set, an element containing NUL is an error (the library
// reads those as NUL-terminated). Returns NULLs for an empty ss.
func (m *cmem) strs(ss []string, what string, cString bool) (**C.char, *C.size_t) {
	n := len(ss)
	if n == 0 {
		return nil, nil
	}
	const ptrSize = int(unsafe.Sizeof(uintptr(0)))
	const sizeSize = int(unsafe.Sizeof(C.size_t(0)))
	total := n * (ptrSize + sizeSize)
	for _, s := range ss {
		if cString {
			m.noNUL(s, what)
		}
		total += len(s) + 1
	}
	p := m.alloc(total)
	ptrs := unsafe.Slice((**C.char)(p), n)
	lens := unsafe.Slice((*C.size_t)(unsafe.Add(p, n*ptrSize)), n)
	data := unsafe.Slice((*byte)(unsafe.Add(p, n*(ptrSize+sizeSize))), total-n*(ptrSize+sizeSize))
	off := 0
	for i, s := range ss {
		copy(data[off:], s)
		data[off+len(s)] = 0
		ptrs[i] = (*C.char)(unsafe.Pointer(&data[off]))
		lens[i] = C.size_t(len(s))
		off += len(s) + 1
	}
	return &ptrs[0], &lens[0]
}

// int32s copies v into C memory (NULL for an empty v).
func (m *cmem) int32s(v []int32) *C.int32_t {
	if len(v) == 0 {
		return nil
	}
	p := m.alloc(len(v) * 4)
	copy(unsafe.Slice((*int32)(p), len(v)), v)
	return (*C.int32_t)(p)
}

// sizes allocates n size_t values in C memory.
func (m *cmem) sizes(n int) []C.size_t {
	p := m.alloc(n * int(unsafe.Sizeof(C.size_t(0))))
	return unsafe.Slice((*C.size_t)(p), n)
}

// goString copies a C string of known length.
func goString(p *C.char, n C.size_t) string {
	if p == nil || n == 0 {
		return ""
	}
	return string(unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n)))
}
