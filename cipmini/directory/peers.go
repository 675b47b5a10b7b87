package directory

import "strings"

// PeerServes reports whether the peer with server id serverID speaks for
// the domain: the domain is its server id or one of its aliases.
func (d *Directory) PeerServes(serverID, domain string) bool {
	serverID, domain = strings.ToLower(serverID), strings.ToLower(domain)
	if serverID == "" || domain == "" {
		return false
	}
	if serverID == domain {
		return true
	}
	if p := d.peers[serverID]; p != nil {
		for _, a := range p.Aliases {
			if strings.ToLower(a) == domain {
				return true
			}
		}
	}
	return false
}

// domainOf returns the part of a user id after the "@".
func Domain(id string) string {
	_, d, _ := strings.Cut(id, "@")
	return d
}
