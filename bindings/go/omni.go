// Package omni signs Omni Partner API requests through libomni, the same code as the Rust
// crates, via cgo. It finds omni.h and libomni with pkg-config (omni.pc).
//
//	signer, err := omni.NewSigner([]byte("partner-secret"))
//	defer signer.Close()
//	sig, err := signer.Sign(omni.Request{Method: "POST", URL: "https://h/api/v1/partner/x",
//		PartnerClientID: "ptnr_1", TimestampMs: 1709024577000, Body: []byte("{}")})
//
// Every function is safe for concurrent use; a Signer may be shared by goroutines. libomni
// keeps no per-thread error state, so goroutines moving between threads are fine.
//
// A failed call returns an *Error carrying the Status libomni answered; a refusal by a
// signing rule has the status named after the rule, and errors.Is matches it:
//
//	if errors.Is(err, omni.StoreTokenMissing) { ... }
//
// The package accepts any libomni of the same major version whose minor version is at least
// the one of the omni.h it was built with (a minor release only adds symbols and statuses).
package omni

/*
#cgo pkg-config: omni
#include <stdlib.h>
#include <omni.h>
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

// The version of the omni.h this package was built with; init checks that the loaded
// libomni serves it (versionAccepted).
const (
	HeaderVersionMajor = C.OMNI_VERSION_MAJOR
	HeaderVersionMinor = C.OMNI_VERSION_MINOR
)

// DefaultToleranceMs is the server's window around its clock: +-300 s.
const DefaultToleranceMs = 300_000

// Status is an omni_status code. It is an error itself, so that errors.Is(err, status)
// matches an *Error of that status.
type Status int32

// The omni_status values of include/omni.h. Refusals by a signing rule are named after the
// omni-sign error kind (StoreTokenMissing is OMNI_STORE_TOKEN_MISSING, kind
// store_token_missing); InvalidInput is left for arguments no signing rule covers.
const (
	OK                     Status = C.OMNI_OK
	NullArgument           Status = C.OMNI_NULL_ARGUMENT
	InvalidUTF8            Status = C.OMNI_INVALID_UTF8
	BufferTooSmall         Status = C.OMNI_BUFFER_TOO_SMALL
	InvalidInput           Status = C.OMNI_INVALID_INPUT
	TimestampOutsideWindow Status = C.OMNI_TIMESTAMP_OUTSIDE_WINDOW
	MalformedSignature     Status = C.OMNI_MALFORMED_SIGNATURE
	SignatureMismatch      Status = C.OMNI_SIGNATURE_MISMATCH
	Panic                  Status = C.OMNI_PANIC
	InvalidJSON            Status = C.OMNI_INVALID_JSON
	EmptySecret            Status = C.OMNI_EMPTY_SECRET
	InvalidMethod          Status = C.OMNI_INVALID_METHOD
	InvalidURL             Status = C.OMNI_INVALID_URL
	InvalidHeaderValue     Status = C.OMNI_INVALID_HEADER_VALUE
	DuplicateHeader        Status = C.OMNI_DUPLICATE_HEADER
	StoreTokenMissing      Status = C.OMNI_STORE_TOKEN_MISSING
	StoreClientIDMissing   Status = C.OMNI_STORE_CLIENT_ID_MISSING
	MissingHeader          Status = C.OMNI_MISSING_HEADER
	MalformedTimestamp     Status = C.OMNI_MALFORMED_TIMESTAMP
	MalformedBodyHash      Status = C.OMNI_MALFORMED_BODY_HASH
	InvalidTimestamp       Status = C.OMNI_INVALID_TIMESTAMP
)

// Name is the status's C name, e.g. "OMNI_STORE_TOKEN_MISSING", answered by libomni (so a
// status added by a newer minor version is named too).
func (s Status) Name() string { return C.GoString(C.omni_status_name(C.int32_t(s))) }

// Message is libomni's sentence for the status.
func (s Status) Message() string { return C.GoString(C.omni_status_str(C.int32_t(s))) }

// String is Name.
func (s Status) String() string { return s.Name() }

// Error is "NAME: message".
func (s Status) Error() string { return s.Name() + ": " + s.Message() }

// Error is a failed libomni call.
type Error struct{ Status Status }

func (e *Error) Error() string { return "omni: " + e.Status.Error() }

// Unwrap lets errors.Is(err, omni.StoreTokenMissing) match.
func (e *Error) Unwrap() error { return e.Status }

func check(st C.omni_status) error {
	if st == C.OMNI_OK {
		return nil
	}
	return &Error{Status(st)}
}

func init() {
	if v := Version(); !versionAccepted(v, HeaderVersionMajor, HeaderVersionMinor) {
		panic(fmt.Sprintf("omni: libomni %s loaded, this package needs %d.%d or a later %d.x",
			v, HeaderVersionMajor, HeaderVersionMinor, HeaderVersionMajor))
	}
}

// versionAccepted says whether a libomni of version found serves a header of version
// major.minor: the same major and at least the header's minor, since a minor release only
// adds symbols and statuses (while the major is 0, 0.y accepts 0.y' for y' >= y, never 1.x).
func versionAccepted(found string, major, minor int) bool {
	parts := strings.SplitN(found, ".", 3)
	if len(parts) < 2 {
		return false
	}
	fmajor, err1 := strconv.Atoi(parts[0])
	fminor, err2 := strconv.Atoi(parts[1])
	return err1 == nil && err2 == nil && fmajor == major && fminor >= minor
}

// Version is the loaded libomni's version.
func Version() string { return C.GoString(C.omni_version()) }

// Request is one request to sign. StoreClientID and StoreToken are "" when not store-scoped.
type Request struct {
	Method          string
	URL             string
	PartnerClientID string
	StoreClientID   string
	StoreToken      string
	TimestampMs     int64
	Body            []byte
}

// A string argument and the status of the signing rule that refuses a NUL byte in it.
type cArg struct {
	s     string
	ifNUL Status
}

// The request fields in the order of omni_request, with the rule each falls under.
func requestArgs(method, url, partner, store, token string) []cArg {
	return []cArg{{method, InvalidMethod}, {url, InvalidURL}, {partner, InvalidHeaderValue},
		{store, InvalidHeaderValue}, {token, InvalidHeaderValue}}
}

// cStrings copies strings, NUL-terminated, into one Go allocation and points out[i] at each.
// cgo lets C read Go memory that holds no Go pointers for the length of a call, so this costs
// one allocation instead of a C.CString malloc and free per string. A string holding a NUL
// cannot cross the C ABI intact; every signing rule refuses a NUL, so it is refused here with
// the status of the rule for that argument.
func cStrings(out []*C.char, args ...cArg) ([]byte, error) {
	n := 0
	for _, a := range args {
		if strings.IndexByte(a.s, 0) >= 0 {
			return nil, &Error{a.ifNUL}
		}
		n += len(a.s) + 1
	}
	buf := make([]byte, n)
	off := 0
	for i, a := range args {
		copy(buf[off:], a.s)
		out[i] = (*C.char)(unsafe.Pointer(&buf[off]))
		off += len(a.s) + 1
	}
	return buf, nil
}

type cRequest struct {
	method, url, partner, store, token *C.char
	ts                                 C.int64_t
	body                               *C.uint8_t
	bodyLen                            C.size_t
	strs                               []byte // keeps the strings alive
}

// prepare converts r for one call. The body is passed as a Go pointer (it holds no Go
// pointers and libomni does not keep it).
func prepare(r *Request) (cRequest, error) {
	var c cRequest
	var p [5]*C.char
	var err error
	if c.strs, err = cStrings(p[:], requestArgs(r.Method, r.URL, r.PartnerClientID, r.StoreClientID, r.StoreToken)...); err != nil {
		return c, err
	}
	c.method, c.url, c.partner, c.store, c.token = p[0], p[1], p[2], p[3], p[4]
	// A Go string cannot be nil: "" means absent, which libomni reads from NULL.
	if r.StoreClientID == "" {
		c.store = nil
	}
	if r.StoreToken == "" {
		c.token = nil
	}
	c.ts = C.int64_t(r.TimestampMs)
	c.body = bodyPtr(r.Body)
	c.bodyLen = C.size_t(len(r.Body))
	return c, nil
}

func bytesPtr(b []byte) *C.uint8_t {
	if len(b) == 0 {
		// Non-NULL with length 0: an empty secret, not a missing one.
		return (*C.uint8_t)(unsafe.Pointer(&emptyByte))
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0]))
}

var emptyByte byte

// withBuffer runs call(out, cap, &len), growing the buffer once when libomni asks for more.
func withBuffer(initial int, call func(out *C.char, cap C.size_t, n *C.size_t) C.omni_status) (string, error) {
	buf := make([]byte, initial)
	var n C.size_t
	st := call((*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)), &n)
	if st == C.OMNI_BUFFER_TOO_SMALL {
		buf = make([]byte, int(n)+1)
		st = call((*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)), &n)
	}
	if err := check(st); err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

// Sign returns x-signature (sha256=<hex>) of one request with a one-off key. For many
// requests with one key use a Signer.
func Sign(secret []byte, r Request) (string, error) {
	c, err := prepare(&r)
	if err != nil {
		return "", err
	}
	return withBuffer(C.OMNI_SIGNATURE_BUFFER_SIZE, func(out *C.char, cap C.size_t, n *C.size_t) C.omni_status {
		return C.omni_sign(bytesPtr(secret), C.size_t(len(secret)), c.method, c.url, c.partner,
			c.store, c.token, c.ts, c.body, c.bodyLen, out, cap, n)
	})
}

// BaseString returns the exact base string signed for r. It holds the store token.
func BaseString(r Request) (string, error) {
	c, err := prepare(&r)
	if err != nil {
		return "", err
	}
	return withBuffer(256, func(out *C.char, cap C.size_t, n *C.size_t) C.omni_status {
		return C.omni_base_string(c.method, c.url, c.partner, c.store, c.token, c.ts, c.body,
			c.bodyLen, out, cap, n)
	})
}

// BodyHash returns the lowercase hex SHA-256 of body.
func BodyHash(body []byte) (string, error) {
	return withBuffer(C.OMNI_BODY_HASH_BUFFER_SIZE, func(out *C.char, cap C.size_t, n *C.size_t) C.omni_status {
		return C.omni_body_hash(bytesPtr(body), C.size_t(len(body)), out, cap, n)
	})
}

// JSONStringify re-writes a JSON text exactly as JavaScript's JSON.stringify(JSON.parse(text))
// does (`json-stringify-form`, strict): encoding/json output, sent and signed as a JavaScript
// server sees it. InvalidJSON for text that is not JSON or that JavaScript would change.
func JSONStringify(text []byte) (string, error) {
	return withBuffer(len(text)+1, func(out *C.char, cap C.size_t, n *C.size_t) C.omni_status {
		var p *C.char
		if len(text) > 0 {
			p = (*C.char)(unsafe.Pointer(&text[0]))
		} else {
			p = (*C.char)(unsafe.Pointer(&emptyByte))
		}
		return C.omni_json_stringify(p, C.size_t(len(text)), out, cap, n)
	})
}

// Received is a request as a server received it: the signed header values as text.
type Received struct {
	Method, URL                                string
	PartnerClientID, StoreClientID, StoreToken string
	Timestamp, Signature                       string
	Body                                       []byte
}

// VerifyOptions are the server's clock and window; zero ToleranceMs means the default.
type VerifyOptions struct {
	NowMs       int64
	ToleranceMs int64
	Strict      bool
}

// c is the tolerance (the default for 0) and flags as libomni takes them.
func (opt VerifyOptions) c() (C.int64_t, C.uint32_t) {
	tol := opt.ToleranceMs
	if tol == 0 {
		tol = DefaultToleranceMs
	}
	var flags C.uint32_t
	if opt.Strict {
		flags = C.OMNI_VERIFY_STRICT
	}
	return C.int64_t(tol), flags
}

// bodyPtr is a body for libomni: NULL when empty (its length is then 0).
func bodyPtr(b []byte) *C.uint8_t {
	if len(b) == 0 {
		return nil
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0]))
}

// Verify checks a received request; nil means accepted, else *Error whose Status says which
// check failed: the rule a malformed request breaks (EmptySecret, InvalidMethod, InvalidURL,
// InvalidHeaderValue, StoreTokenMissing, StoreClientIDMissing, MalformedTimestamp), then
// MalformedSignature, TimestampOutsideWindow, SignatureMismatch.
func Verify(secret []byte, r Received, opt VerifyOptions) error {
	var ptrs [7]*C.char
	args := append(requestArgs(r.Method, r.URL, r.PartnerClientID, r.StoreClientID, r.StoreToken),
		cArg{r.Timestamp, MalformedTimestamp}, cArg{r.Signature, MalformedSignature})
	strs, err := cStrings(ptrs[:], args...)
	if err != nil {
		return err
	}
	tol, flags := opt.c()
	body := bodyPtr(r.Body)
	// A Go string cannot be nil: "" means absent, which libomni reads from NULL.
	if r.StoreClientID == "" {
		ptrs[3] = nil
	}
	if r.StoreToken == "" {
		ptrs[4] = nil
	}
	st := C.omni_verify(bytesPtr(secret), C.size_t(len(secret)), ptrs[0], ptrs[1], ptrs[2],
		ptrs[3], ptrs[4], ptrs[5], ptrs[6], body, C.size_t(len(r.Body)), C.int64_t(opt.NowMs),
		tol, flags)
	runtime.KeepAlive(strs)
	return check(st)
}

// Header is one received header, name and value exactly as received.
type Header struct{ Name, Value string }

// RawRequest is a request as a server received it, for Diagnose: every header in order, in
// its case, repeated ones repeated (x-signature among them), and the exact body bytes.
type RawRequest struct {
	Method, URL string
	Headers     []Header
	Body        []byte
}

// Pitfall is a signer mistake a verdict names, e.g. "query-signed", with advice.
type Pitfall struct {
	Name   string `json:"name"`
	Advice string `json:"advice"`
}

// Combination is a set of pitfalls that, fallen into together, give exactly the signature
// received, with the base string such a signer wrote (store token as REDACTED).
type Combination struct {
	Pitfalls   []Pitfall `json:"pitfalls"`
	BaseString string    `json:"base_string"`
}

// Verdict is what the server makes of a request (version 1 of libomni's verdict JSON; its
// every field is in JSON).
type Verdict struct {
	Version  int  `json:"version"`
	Accepted bool `json:"accepted"`
	// Check is the omni-sign error kind of the failed check ("signature_mismatch", ...); ""
	// when accepted.
	Check   string `json:"check"`
	Message string `json:"message"`
	// CheckPitfalls are the pitfalls the failed checks name themselves.
	CheckPitfalls []Pitfall `json:"check_pitfalls"`
	// Combinations are the minimal sets of pitfalls reproducing the signature, fewest first.
	Combinations []Combination `json:"combinations"`
	// ExpectedBaseString is the base string the server expects (store token as REDACTED).
	ExpectedBaseString string `json:"expected_base_string"`
	// JSON is the verdict exactly as libomni wrote it.
	JSON []byte `json:"-"`
}

// VerdictVersion is the version of the verdict JSON this package reads.
const VerdictVersion = 1

// Diagnose verifies r as the server would and, for a rejection, names the pitfalls that
// reproduce its signature. A rejected request is a Verdict, not an error; the error is for
// unusable arguments (EmptySecret, InvalidUTF8, InvalidInput for a negative clock, or a string
// holding a NUL: a C string cannot carry one).
func Diagnose(secret []byte, r RawRequest, opt VerifyOptions) (*Verdict, error) {
	var ptrs [2]*C.char
	strs, err := cStrings(ptrs[:], cArg{r.Method, InvalidInput}, cArg{r.URL, InvalidInput})
	if err != nil {
		return nil, err
	}
	// The header array holds pointers, so it and its strings live in C memory (cgo lets C
	// read Go memory only when it holds no Go pointers).
	size := len(r.Headers) * C.sizeof_omni_header
	for _, h := range r.Headers {
		if strings.IndexByte(h.Name, 0) >= 0 || strings.IndexByte(h.Value, 0) >= 0 {
			return nil, &Error{InvalidInput}
		}
		size += len(h.Name) + len(h.Value) + 2
	}
	block := C.malloc(C.size_t(size + 1))
	if block == nil {
		panic("omni: out of memory")
	}
	defer C.free(block)
	mem := unsafe.Slice((*byte)(block), size+1)
	headers := unsafe.Slice((*C.omni_header)(block), len(r.Headers))
	off := len(r.Headers) * C.sizeof_omni_header
	place := func(s string) *C.char {
		copy(mem[off:], s)
		mem[off+len(s)] = 0
		p := (*C.char)(unsafe.Pointer(&mem[off]))
		off += len(s) + 1
		return p
	}
	for i, h := range r.Headers {
		headers[i].name = place(h.Name)
		headers[i].value = place(h.Value)
	}
	var headerPtr *C.omni_header
	if len(headers) > 0 {
		headerPtr = &headers[0]
	}
	tol, flags := opt.c()
	body := bodyPtr(r.Body)
	text, err := withBuffer(4096, func(out *C.char, cap C.size_t, n *C.size_t) C.omni_status {
		return C.omni_diagnose(ptrs[0], ptrs[1], headerPtr, C.size_t(len(r.Headers)), body,
			C.size_t(len(r.Body)), bytesPtr(secret), C.size_t(len(secret)), C.int64_t(opt.NowMs),
			tol, flags, out, cap, n)
	})
	runtime.KeepAlive(strs)
	if err != nil {
		return nil, err
	}
	v := &Verdict{JSON: []byte(text)}
	if err := json.Unmarshal(v.JSON, v); err != nil {
		return nil, fmt.Errorf("omni: reading the verdict: %w", err)
	}
	if v.Version != VerdictVersion {
		return nil, fmt.Errorf("omni: verdict version %d, this package reads %d", v.Version, VerdictVersion)
	}
	return v, nil
}

// Signer holds one partner secret key, hashed once. Safe for concurrent use; Close wipes the
// key state (a finalizer does it too, but Close is deterministic).
type Signer struct {
	mu     sync.RWMutex
	handle *C.omni_signer
}

// NewSigner creates a Signer. An empty secret is EmptySecret.
func NewSigner(secret []byte) (*Signer, error) {
	var h *C.omni_signer
	if err := check(C.omni_signer_new(bytesPtr(secret), C.size_t(len(secret)), &h)); err != nil {
		return nil, err
	}
	s := &Signer{handle: h}
	runtime.SetFinalizer(s, (*Signer).Close)
	return s, nil
}

// Close releases the signer; later calls answer NullArgument. Safe to call twice.
func (s *Signer) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.handle != nil {
		C.omni_signer_free(s.handle)
		s.handle = nil
	}
	return nil
}

// Sign returns x-signature of r: sha256=<hex>.
func (s *Signer) Sign(r Request) (string, error) { return s.sign(r, 0) }

// SignBareHex returns x-signature of r as bare hex (`signature-format`).
func (s *Signer) SignBareHex(r Request) (string, error) { return s.sign(r, C.OMNI_SIGN_BARE_HEX) }

func (s *Signer) sign(r Request, flags C.uint32_t) (string, error) {
	c, err := prepare(&r)
	if err != nil {
		return "", err
	}
	var out [C.OMNI_SIGNATURE_BUFFER_SIZE]byte
	var n C.size_t
	s.mu.RLock()
	st := C.omni_signer_sign(s.handle, c.method, c.url, c.partner, c.store, c.token, c.ts, c.body,
		c.bodyLen, flags, (*C.char)(unsafe.Pointer(&out[0])), C.size_t(len(out)), &n)
	s.mu.RUnlock()
	if err := check(st); err != nil {
		return "", err
	}
	return string(out[:n]), nil
}
