//go:build omni_static

package omni

// With the omni_static build tag, libomni.a is linked into the program, which then needs no
// libomni.so at run time: `go build -tags omni_static`. omni.pc still supplies the include and
// library directories; -Bstatic makes the linker take libomni.a there, and --as-needed keeps the
// -lomni that pkg-config adds after it from recording a libomni.so dependency nothing uses. The
// system libraries after it are omni.pc's Libs.private (what Rust's std needs).

/*
#cgo LDFLAGS: -Wl,-Bstatic -lomni -Wl,-Bdynamic -Wl,--as-needed -lgcc_s -lutil -lrt -lpthread -lm -ldl
*/
import "C"
