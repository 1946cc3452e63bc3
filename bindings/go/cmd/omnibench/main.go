// Command omnibench times signing one 200 B-body request N times through libomni (a reusable
// Signer) and through Go's own crypto/hmac building the same base string; run by
// bindings/bench.sh. Prints "go<TAB>way<TAB>ns per signature" lines.
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	omni "omni/bindings/go"
)

const (
	secret  = "partner-secret-key"
	url     = "https://partners-api.tocobagus.net/api/v1/partner/stores/catalog/sync"
	partner = "ptnr_1s4UqMnO64"
	store   = "str_TGIxyboe7-Rz"
	token   = "stkn_1G_R3r_5QTvwr_0O"
	ts      = int64(1709024577000)
)

func body() []byte {
	prefix := `{"storeId":"str_TGIxyboe7-Rz","note":"`
	return []byte(prefix + strings.Repeat("a", 200-len(prefix)-2) + `"}`)
}

// signedPath is `path-rules` for the URLs this benchmark sends.
func signedPath(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
		if j := strings.IndexByte(u, '/'); j >= 0 {
			u = u[j:]
		} else {
			u = "/"
		}
	}
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	if u == "/api/v1" {
		return "/"
	}
	if strings.HasPrefix(u, "/api/v1/") {
		return u[7:]
	}
	return u
}

type nativeSigner struct{ mac hashWriter }

type hashWriter interface {
	Write([]byte) (int, error)
	Sum([]byte) []byte
	Reset()
}

func (n *nativeSigner) sign(method, u string, ts int64, b []byte) string {
	bh := sha256.Sum256(b)
	var sb strings.Builder
	sb.Grow(256)
	sb.WriteString(method)
	sb.WriteByte('\n')
	sb.WriteString(signedPath(u))
	sb.WriteString("\nx-partner-client-id:" + partner + "\nx-store-client-id:" + store + "\nx-store-token:" + token + "\nx-timestamp:")
	sb.WriteString(strconv.FormatInt(ts, 10))
	sb.WriteByte('\n')
	sb.WriteString(hex.EncodeToString(bh[:]))
	n.mac.Reset()
	n.mac.Write([]byte(sb.String()))
	return "sha256=" + hex.EncodeToString(n.mac.Sum(nil))
}

func main() {
	n := 200000
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	b := body()
	signer, err := omni.NewSigner([]byte(secret))
	if err != nil {
		panic(err)
	}
	defer signer.Close()
	native := &nativeSigner{mac: hmac.New(sha256.New, []byte(secret))}
	req := omni.Request{Method: "POST", URL: url, PartnerClientID: partner, StoreClientID: store,
		StoreToken: token, TimestampMs: ts, Body: b}
	want, err := signer.Sign(req)
	if err != nil {
		panic(err)
	}
	if got := native.sign("POST", url, ts, b); got != want {
		panic(fmt.Sprintf("native Go signs %s, libomni %s", got, want))
	}
	for round := 0; round < 2; round++ { // round 0 warms up
		start := time.Now()
		for i := 0; i < n; i++ {
			req.TimestampMs = ts + int64(i)
			if _, err := signer.Sign(req); err != nil {
				panic(err)
			}
		}
		lib := time.Since(start)
		start = time.Now()
		for i := 0; i < n; i++ {
			native.sign("POST", url, ts+int64(i), b)
		}
		nat := time.Since(start)
		if round == 1 {
			fmt.Printf("go\tlibomni\t%.0f\n", float64(lib.Nanoseconds())/float64(n))
			fmt.Printf("go\tnative\t%.0f\n", float64(nat.Nanoseconds())/float64(n))
		}
	}
}
