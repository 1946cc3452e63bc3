package omni

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

type vectorCase struct {
	Name            string  `json:"name"`
	Secret          string  `json:"secret"`
	Method          string  `json:"method"`
	URL             string  `json:"url"`
	PartnerClientID string  `json:"partner_client_id"`
	StoreClientID   *string `json:"store_client_id"`
	StoreToken      *string `json:"store_token"`
	TimestampMs     int64   `json:"timestamp_ms"`
	BodyHex         string  `json:"body_hex"`
	Expect          struct {
		BodyHash   string `json:"body_hash"`
		BaseString string `json:"base_string"`
		Signature  string `json:"signature"`
	} `json:"expect"`
	ExpectError string `json:"expect_error"`
}

type vectorFile struct {
	Version    int          `json:"version"`
	Cases      []vectorCase `json:"cases"`
	ErrorCases []vectorCase `json:"error_cases"`
}

func loadVectors(t *testing.T) vectorFile {
	path := os.Getenv("OMNI_VECTORS")
	if path == "" {
		path = "../../tests/vectors/signing.json"
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v vectorFile
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	if v.Version != 1 || len(v.Cases) == 0 || len(v.ErrorCases) == 0 {
		t.Fatalf("unexpected vector file: version %d, %d cases, %d error cases", v.Version, len(v.Cases), len(v.ErrorCases))
	}
	return v
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (c *vectorCase) request(t *testing.T) Request {
	body, err := hex.DecodeString(c.BodyHex)
	if err != nil {
		t.Fatal(err)
	}
	return Request{Method: c.Method, URL: c.URL, PartnerClientID: c.PartnerClientID,
		StoreClientID: deref(c.StoreClientID), StoreToken: deref(c.StoreToken),
		TimestampMs: c.TimestampMs, Body: body}
}

func statusOf(err error) Status {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return OK
}

// kindStatusName is the name of the status libomni answers for an omni_sign::Error::kind()
// (and the binding-level kind invalid_timestamp): OMNI_ and the kind in upper case.
func kindStatusName(kind string) string { return "OMNI_" + strings.ToUpper(kind) }

func TestVersion(t *testing.T) {
	if !versionAccepted(Version(), HeaderVersionMajor, HeaderVersionMinor) {
		t.Fatalf("version %s", Version())
	}
}

func TestVersionRule(t *testing.T) {
	cases := []struct {
		found        string
		major, minor int
		want         bool
	}{
		{"0.1.0", 0, 1, true}, {"0.1.5", 0, 1, true}, {"0.2.0", 0, 1, true},
		{"1.0.0", 0, 1, false}, {"0.0.9", 0, 1, false}, {"0.1.0", 0, 2, false},
		{"1.3.0", 1, 2, true}, {"2.0.0", 1, 2, false}, {"x", 0, 1, false}, {"0", 0, 1, false},
	}
	for _, c := range cases {
		if got := versionAccepted(c.found, c.major, c.minor); got != c.want {
			t.Errorf("versionAccepted(%q, %d, %d) = %v", c.found, c.major, c.minor, got)
		}
	}
}

func TestStatusNamesAndMessages(t *testing.T) {
	err := error(&Error{StoreTokenMissing})
	if !errors.Is(err, StoreTokenMissing) || errors.Is(err, StoreClientIDMissing) {
		t.Errorf("errors.Is on %v", err)
	}
	if want := "omni: OMNI_STORE_TOKEN_MISSING: x-store-client-id is present without x-store-token"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
	for s := OK; s <= InvalidTimestamp; s++ {
		if !strings.HasPrefix(s.Name(), "OMNI_") || s.Name() == "OMNI_UNKNOWN_STATUS" || s.Message() == "" {
			t.Errorf("status %d: %q %q", s, s.Name(), s.Message())
		}
	}
	if InvalidTimestamp.Name() != "OMNI_INVALID_TIMESTAMP" || Status(-1).Name() != "OMNI_UNKNOWN_STATUS" {
		t.Errorf("names: %q %q", InvalidTimestamp.Name(), Status(-1).Name())
	}
}

func TestVectors(t *testing.T) {
	v := loadVectors(t)
	for _, c := range v.Cases {
		c := c
		t.Run(c.Name, func(t *testing.T) {
			r := c.request(t)
			secret := []byte(c.Secret)
			if got, err := Sign(secret, r); err != nil || got != c.Expect.Signature {
				t.Errorf("Sign = %q, %v; want %q", got, err, c.Expect.Signature)
			}
			if got, err := BaseString(r); err != nil || got != c.Expect.BaseString {
				t.Errorf("BaseString = %q, %v", got, err)
			}
			if got, err := BodyHash(r.Body); err != nil || got != c.Expect.BodyHash {
				t.Errorf("BodyHash = %q, %v", got, err)
			}
			s, err := NewSigner(secret)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if got, err := s.Sign(r); err != nil || got != c.Expect.Signature {
				t.Errorf("Signer.Sign = %q, %v", got, err)
			}
			if got, err := s.SignBareHex(r); err != nil || got != c.Expect.Signature[7:] {
				t.Errorf("Signer.SignBareHex = %q, %v", got, err)
			}
			rec := Received{Method: r.Method, URL: r.URL, PartnerClientID: r.PartnerClientID,
				StoreClientID: r.StoreClientID, StoreToken: r.StoreToken,
				Timestamp: strconv.FormatInt(r.TimestampMs, 10), Signature: c.Expect.Signature, Body: r.Body}
			if err := Verify(secret, rec, VerifyOptions{NowMs: r.TimestampMs, Strict: true}); err != nil {
				t.Errorf("Verify: %v", err)
			}
		})
	}
	for _, c := range v.ErrorCases {
		c := c
		t.Run(c.Name, func(t *testing.T) {
			_, err := Sign([]byte(c.Secret), c.request(t))
			want := kindStatusName(c.ExpectError)
			if c.StoreToken != nil && *c.StoreToken == "" {
				// Not silent: a Go string cannot be nil, so an empty token beside a store id
				// reads as no token at all.
				t.Logf("%s: an empty store token is a missing one in Go", c.Name)
				want = StoreTokenMissing.Name()
			}
			if got := statusOf(err).Name(); err == nil || got != want {
				t.Errorf("%s: status %s, want %s (%v)", c.ExpectError, got, want, err)
			}
		})
	}
}

func TestBadInputs(t *testing.T) {
	r := Request{Method: "GET", URL: "/api/v1/x", PartnerClientID: "p", TimestampMs: 1}
	cases := []struct {
		name   string
		secret []byte
		mut    func(*Request)
		want   Status
	}{
		{"empty secret", []byte{}, func(*Request) {}, EmptySecret},
		{"nil secret", nil, func(*Request) {}, EmptySecret},
		{"store id without token", []byte("k"), func(r *Request) { r.StoreClientID = "s" }, StoreTokenMissing},
		{"token without store id", []byte("k"), func(r *Request) { r.StoreToken = "t" }, StoreClientIDMissing},
		{"newline in header", []byte("k"), func(r *Request) { r.PartnerClientID = "p\nx-timestamp:1" }, InvalidHeaderValue},
		{"NUL in header", []byte("k"), func(r *Request) { r.PartnerClientID = "p\x00" }, InvalidHeaderValue},
		{"NUL in URL", []byte("k"), func(r *Request) { r.URL = "/x\x00" }, InvalidURL},
		{"lowercase method", []byte("k"), func(r *Request) { r.Method = "get" }, InvalidMethod},
		{"invalid UTF-8", []byte("k"), func(r *Request) { r.PartnerClientID = "\xff" }, InvalidUTF8},
		{"negative timestamp", []byte("k"), func(r *Request) { r.TimestampMs = -1 }, InvalidTimestamp},
	}
	for _, c := range cases {
		rr := r
		c.mut(&rr)
		if _, err := Sign(c.secret, rr); statusOf(err) != c.want {
			t.Errorf("%s: %v, want status %d", c.name, err, c.want)
		}
	}
	if _, err := NewSigner(nil); statusOf(err) != EmptySecret {
		t.Errorf("NewSigner(nil): %v", err)
	}
	// A buffer one byte short of the NUL answers BufferTooSmall and the size needed.
	out := []byte("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")[:71]
	if st, n := signInto([]byte("k"), r, out); st != BufferTooSmall || n != 71 || out[0] != 0 {
		t.Errorf("small buffer: status %d, len %d", st, n)
	}
	if st, n := signInto([]byte("k"), r, nil); st != BufferTooSmall || n != 71 {
		t.Errorf("size query: status %d, len %d", st, n)
	}
	s, _ := NewSigner([]byte("k"))
	s.Close()
	s.Close()
	if _, err := s.Sign(r); statusOf(err) != NullArgument {
		t.Errorf("closed signer: %v", err)
	}
}

func TestVerifyStatuses(t *testing.T) {
	secret := []byte("k")
	r := Request{Method: "GET", URL: "/api/v1/x", PartnerClientID: "p", TimestampMs: 1000000}
	sig, err := Sign(secret, r)
	if err != nil {
		t.Fatal(err)
	}
	rec := Received{Method: "GET", URL: "/api/v1/x?q=1", PartnerClientID: "p", Timestamp: "1000000", Signature: sig}
	if err := Verify(secret, rec, VerifyOptions{NowMs: 1300000}); err != nil {
		t.Errorf("boundary: %v", err)
	}
	if err := Verify(secret, rec, VerifyOptions{NowMs: 1300001}); statusOf(err) != TimestampOutsideWindow {
		t.Errorf("outside: %v", err)
	}
	bare := rec
	bare.Signature = sig[7:]
	if err := Verify(secret, bare, VerifyOptions{NowMs: 1000000, Strict: true}); statusOf(err) != MalformedSignature {
		t.Errorf("strict bare: %v", err)
	}
	stale := rec
	stale.Timestamp = "01000000"
	if err := Verify(secret, stale, VerifyOptions{NowMs: 1000000}); !errors.Is(err, MalformedTimestamp) {
		t.Errorf("malformed timestamp: %v", err)
	}
	if err := Verify(secret, rec, VerifyOptions{NowMs: -1}); !errors.Is(err, InvalidInput) {
		t.Errorf("negative clock: %v", err)
	}
	other := rec
	other.Body = []byte("x")
	if err := Verify(secret, other, VerifyOptions{NowMs: 1000000}); statusOf(err) != SignatureMismatch {
		t.Errorf("other body: %v", err)
	}
}

func TestJSONStringify(t *testing.T) {
	got, err := JSONStringify([]byte(`{ "b": 1.0, "a": [1e21, -0, "\u00e9"] }`))
	if want := `{"b":1,"a":[1e+21,0,"é"]}`; err != nil || got != want {
		t.Errorf("JSONStringify = %q, %v; want %q", got, err, want)
	}
	for _, bad := range []string{"{", "9007199254740993", ""} {
		if _, err := JSONStringify([]byte(bad)); statusOf(err) != InvalidJSON {
			t.Errorf("JSONStringify(%q): %v", bad, err)
		}
	}
}

// Many goroutines share one Signer (run with -race).
func TestConcurrentSigning(t *testing.T) {
	secret := []byte("partner-secret-key")
	r := Request{Method: "POST", URL: "/api/v1/partner/x", PartnerClientID: "p", StoreClientID: "s",
		StoreToken: "t", TimestampMs: 42, Body: []byte(`{"a":1}`)}
	want, err := Sign(secret, r)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSigner(secret)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 64; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				got, err := s.Sign(r)
				if err != nil || got != want {
					errs <- got
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("goroutine got %q, want %q", e, want)
	}
}

// Diagnose on the cases of `omni verify`'s tests that libomni's own signer can produce:
// accepted requests, and faulty signers whose pitfall the verdict must name.
func TestDiagnose(t *testing.T) {
	secret := []byte("partner-secret-key")
	const ts, now = int64(1709024577000), int64(1709024580000)
	sign := func(url string, ts int64, body string, bare bool) string {
		s, err := NewSigner(secret)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		r := Request{Method: "GET", URL: url, PartnerClientID: "ptnr_1", TimestampMs: ts, Body: []byte(body)}
		sig, err := s.Sign(r)
		if bare {
			sig, err = s.SignBareHex(r)
		}
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	cases := []struct {
		name, signedURL string
		signedTs        int64
		signedBody      string
		bare            bool
		url, body       string
		store, noTs     bool
		strict          bool
		check, pitfall  string
	}{
		{name: "accepted", signedURL: "https://h/api/v1/partner/x?page=2", url: "https://h/api/v1/partner/x?page=2"},
		{name: "accepted with a body", signedURL: "/partner/x", signedBody: `{"a":1}`, url: "/partner/x", body: `{"a":1}`},
		{name: "bare hex, lenient", signedURL: "/partner/x", bare: true, url: "/partner/x"},
		{name: "pretty hashed, minified sent", signedURL: "/partner/x", signedBody: "{\n  \"a\": 1\n}", url: "/partner/x", body: `{"a":1}`,
			check: "signature_mismatch", pitfall: "pretty-vs-minified-body"},
		// The signer, given /api/v1 twice, strips one.
		{name: "api/v1 kept", signedURL: "/api/v1/api/v1/partner/x", url: "/api/v1/partner/x",
			check: "signature_mismatch", pitfall: "api-v1-not-stripped"},
		{name: "store headers left out", signedURL: "/partner/stores/catalog/1", url: "/partner/stores/catalog/1", store: true,
			check: "signature_mismatch", pitfall: "store-headers-left-out"},
		{name: "stale", signedURL: "/partner/x", signedTs: 1709024000000, url: "/partner/x",
			check: "timestamp_outside_window", pitfall: "stale-timestamp"},
		{name: "bare hex, strict", signedURL: "/partner/x", bare: true, url: "/partner/x", strict: true,
			check: "malformed_signature", pitfall: "bare-hex-under-strict"},
		{name: "missing x-timestamp", signedURL: "/partner/x", url: "/partner/x", noTs: true, check: "missing_header"},
		{name: "another request", signedURL: "/partner/x", url: "/partner/y", check: "signature_mismatch"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sts := c.signedTs
			if sts == 0 {
				sts = ts
			}
			sig := sign(c.signedURL, sts, c.signedBody, c.bare)
			headers := []Header{{"x-partner-client-id", "ptnr_1"}, {"X-Signature", sig}}
			if !c.noTs {
				headers = append(headers, Header{"x-timestamp", strconv.FormatInt(sts, 10)})
			}
			if c.store {
				headers = append(headers, Header{"x-store-client-id", "str_1"}, Header{"x-store-token", "stkn_very_secret"})
			}
			v, err := Diagnose(secret, RawRequest{Method: "GET", URL: c.url, Headers: headers, Body: []byte(c.body)},
				VerifyOptions{NowMs: now, Strict: c.strict})
			if err != nil {
				t.Fatal(err)
			}
			if v.Accepted != (c.check == "") || v.Check != c.check {
				t.Errorf("accepted %v, check %q; want %q\n%s", v.Accepted, v.Check, c.check, v.JSON)
			}
			first := ""
			if len(v.Combinations) > 0 && len(v.Combinations[0].Pitfalls) > 0 {
				first = v.Combinations[0].Pitfalls[0].Name
			}
			if first != c.pitfall {
				t.Errorf("first pitfall %q, want %q\n%s", first, c.pitfall, v.JSON)
			}
			if strings.Contains(string(v.JSON), "stkn_very_secret") {
				t.Errorf("the store token shows: %s", v.JSON)
			}
		})
	}
	if _, err := Diagnose(nil, RawRequest{Method: "GET", URL: "/"}, VerifyOptions{NowMs: now}); !errors.Is(err, EmptySecret) {
		t.Errorf("empty secret: %v", err)
	}
	if _, err := Diagnose(secret, RawRequest{Method: "GET", URL: "/"}, VerifyOptions{NowMs: -1}); !errors.Is(err, InvalidInput) {
		t.Errorf("negative clock: %v", err)
	}
	if _, err := Diagnose(secret, RawRequest{Method: "GET", URL: "/", Headers: []Header{{"x-a", "\x00"}}}, VerifyOptions{NowMs: now}); !errors.Is(err, InvalidInput) {
		t.Errorf("NUL in a header: %v", err)
	}
}
