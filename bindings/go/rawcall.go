package omni

// #include <omni.h>
import "C"

import "unsafe"

// signInto calls omni_sign with the caller's buffer as it is, for tests of the buffer
// protocol (cgo cannot be used in _test.go files). It returns the status and *out_len.
func signInto(secret []byte, r Request, out []byte) (Status, int) {
	c, err := prepare(&r)
	if err != nil {
		return statusOfErr(err), 0
	}
	var n C.size_t
	var p *C.char
	if len(out) > 0 {
		p = (*C.char)(unsafe.Pointer(&out[0]))
	}
	st := C.omni_sign(bytesPtr(secret), C.size_t(len(secret)), c.method, c.url, c.partner,
		c.store, c.token, c.ts, c.body, c.bodyLen, p, C.size_t(len(out)), &n)
	return Status(st), int(n)
}

func statusOfErr(err error) Status {
	if e, ok := err.(*Error); ok {
		return e.Status
	}
	return OK
}
