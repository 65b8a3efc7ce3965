package emulator

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
)

// ARN shapes, from the ELBv2 API reference examples:
//
//	arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067
//	arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/my-load-balancer/50dc6c495c0c9188
//	arn:aws:elasticloadbalancing:us-west-2:123456789012:listener/app/my-load-balancer/50dc6c495c0c9188/f2f7dc8efc522ab2
var (
	targetGroupARNPattern  = regexp.MustCompile(`^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}$`)
	loadBalancerARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer/(app|net)/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}$`)
	listenerARNPattern     = regexp.MustCompile(`^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener/(app|net)/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}/[0-9a-f]{16}$`)
)

func randomID() string { return fmt.Sprintf("%016x", rand.Uint64()) }

func (e *Emulator) arnPrefix() string {
	return "arn:aws:elasticloadbalancing:" + e.cfg.Region + ":" + e.cfg.AccountID + ":"
}

func (e *Emulator) newTargetGroupARN(account, name string) string {
	if account == "" {
		account = e.cfg.AccountID
	}
	return "arn:aws:elasticloadbalancing:" + e.cfg.Region + ":" + account + ":targetgroup/" + name + "/" + randomID()
}

func lbKind(lbType string) string {
	if lbType == lbTypeNetwork {
		return "net"
	}
	return "app"
}

func (e *Emulator) newLoadBalancerARN(account, name, lbType string) (arn, id string) {
	id = randomID()
	if account == "" {
		account = e.cfg.AccountID
	}
	return "arn:aws:elasticloadbalancing:" + e.cfg.Region + ":" + account + ":loadbalancer/" + lbKind(lbType) + "/" + name + "/" + id, id
}

func (e *Emulator) newListenerARN(lb *loadBalancer) string {
	// The listener ARN embeds the load balancer's account and kind/name/id.
	return strings.Replace(lb.arn, ":loadbalancer/", ":listener/", 1) + "/" + randomID()
}
