package boards

import "testing"

// Every profile caps the store well under its memory limit (the store is
// held in memory too) and bounds HTTP connections; pi-zero's cap is 32 MiB.
func TestProfilesBoundTheStore(t *testing.T) {
	for _, b := range All() {
		limit, err := b.MemoryLimit()
		if err != nil || limit == 0 {
			t.Fatalf("%s: memory limit %d, %v", b.Name, limit, err)
		}
		if b.MaxStoreBytes <= 0 || b.MaxStoreBytes > limit/2 {
			t.Errorf("%s: max_store_bytes %d, want positive and at most half of gomemlimit (%d)", b.Name, b.MaxStoreBytes, limit)
		}
		if b.MaxHTTPConns <= 0 {
			t.Errorf("%s: max_http_conns %d", b.Name, b.MaxHTTPConns)
		}
	}
	if zero, _ := Lookup("pi-zero"); zero.MaxStoreBytes != 32<<20 {
		t.Fatalf("pi-zero max_store_bytes %d", zero.MaxStoreBytes)
	}
	if _, err := parse("b.toml", "name = \"b\"\ndescription = \"d\"\ngoos = \"linux\"\ngoarch = \"amd64\"\n"+
		"max_conns = 4\nmax_store_bytes = -1\ndata_dir = \"/var/lib/x\"\nunit = \"x.service\"\n"); err == nil {
		t.Fatal("a negative max_store_bytes was taken")
	}
}
