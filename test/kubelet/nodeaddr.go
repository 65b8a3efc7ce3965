package kubelet

import (
	"errors"
	"fmt"
	"net/netip"
)

// A node's address is where its kube-proxy serves every NodePort: one
// loopback address per node, unique on the machine (claimed like pod
// addresses, since every test package's cluster has nodes), so that a load
// balancer can reach each node of a cluster on its own. The node plays an
// EC2 instance whose ID is derived from that address.

// claimNodeAddr takes the first address of cidr that no other loopback
// kubelet on the machine holds, skipping the network address.
func claimNodeAddr(cidr netip.Prefix, claims *fileClaims) (netip.Addr, func(), error) {
	for a := cidr.Masked().Addr().Next(); cidr.Contains(a); a = a.Next() {
		release, err := claims.Claim(a)
		if errors.Is(err, errClaimed) {
			continue
		}
		if err != nil {
			return netip.Addr{}, nil, err
		}
		return a, release, nil
	}
	return netip.Addr{}, nil, fmt.Errorf("every node address of %s is claimed by another loopback kubelet", cidr)
}

// instanceIDOf is the EC2 instance ID a node at addr plays: "i-" and the
// address's 32 bits in 17 hex digits, so that it is unique wherever the
// address is.
func instanceIDOf(addr netip.Addr) string {
	a := addr.As4()
	return fmt.Sprintf("i-%017x", uint32(a[0])<<24|uint32(a[1])<<16|uint32(a[2])<<8|uint32(a[3]))
}

// providerID is the node's spec.providerID in the AWS cloud provider's form,
// aws:///<zone>/<instance-id>, from which tgc reads the instance.
func providerID(zone, instanceID string) string {
	if zone == "" {
		zone = "us-east-1a"
	}
	return "aws:///" + zone + "/" + instanceID
}
