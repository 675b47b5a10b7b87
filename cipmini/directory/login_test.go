package directory

import (
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// Unknown names and names without a password are compared against a dummy
// hash of the highest configured cost, one bcrypt comparison per login, as
// a wrong password is.
func TestLoginDummyHashCost(t *testing.T) {
	d := NewDirectory("x.test")
	for i, cost := range []int{bcrypt.MinCost, bcrypt.MinCost + 1} {
		h, _ := bcrypt.GenerateFromPassword([]byte("pw"), cost)
		sec, err := BcryptSecret(string(h))
		if err != nil {
			t.Fatal(err)
		}
		if err := d.AddUser(&User{ID: []string{"a@x.test", "b@x.test"}[i], Kind: Person, Password: sec}); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.AddUser(&User{ID: "room@x.test", Kind: Room}); err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"nobody", "a", "room", "b", "nobody@else.test"} {
		if _, err := d.Login(name, "wrong"); err != ErrLoginFailed {
			t.Fatalf("%s: %v", name, err)
		}
		if n := d.BcryptChecks(); n != int64(i+1) {
			t.Fatalf("after %s: %d bcrypt comparisons, want %d", name, n, i+1)
		}
	}
	if c, err := bcrypt.Cost(d.dummySecret().bcryptHash); err != nil || c != bcrypt.MinCost+1 {
		t.Fatalf("dummy hash cost %d, %v; want %d", c, err, bcrypt.MinCost+1)
	}
	if id, err := d.Login("b", "pw"); err != nil || id.ID != "b@x.test" || id.Peer {
		t.Fatalf("right password: %v %v", id, err)
	}
	// Without hashes the dummy is a plain secret: no bcrypt at all.
	plain := NewDirectory("y.test")
	plain.AddUser(&User{ID: "c@y.test", Kind: Person, Password: PlainSecret("pw")})
	plain.Login("nobody", "pw")
	if plain.BcryptChecks() != 0 || plain.dummySecret().Hashed() {
		t.Fatal("a dummy bcrypt hash without configured hashes")
	}
}
