package emulator

import (
	"strconv"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/query"
)

// XML shapes of ELBv2 results. Element names follow the SDK's response
// snapshots (service/elasticloadbalancingv2/response_snapshot): lists are
// <member> elements, optional fields are omitted when empty.

type xmlTag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type xmlMatcher struct {
	HTTPCode string `xml:"HttpCode,omitempty"`
	GrpcCode string `xml:"GrpcCode,omitempty"`
}

type xmlTargetGroup struct {
	TargetGroupArn             string      `xml:"TargetGroupArn"`
	TargetGroupName            string      `xml:"TargetGroupName"`
	Protocol                   string      `xml:"Protocol,omitempty"`
	ProtocolVersion            string      `xml:"ProtocolVersion,omitempty"`
	Port                       int32       `xml:"Port,omitempty"`
	VpcID                      string      `xml:"VpcId,omitempty"`
	HealthCheckEnabled         bool        `xml:"HealthCheckEnabled"`
	HealthCheckProtocol        string      `xml:"HealthCheckProtocol,omitempty"`
	HealthCheckPort            string      `xml:"HealthCheckPort,omitempty"`
	HealthCheckPath            string      `xml:"HealthCheckPath,omitempty"`
	HealthCheckIntervalSeconds int32       `xml:"HealthCheckIntervalSeconds"`
	HealthCheckTimeoutSeconds  int32       `xml:"HealthCheckTimeoutSeconds"`
	HealthyThresholdCount      int32       `xml:"HealthyThresholdCount"`
	UnhealthyThresholdCount    int32       `xml:"UnhealthyThresholdCount"`
	Matcher                    *xmlMatcher `xml:"Matcher,omitempty"`
	LoadBalancerArns           []string    `xml:"LoadBalancerArns>member"`
	TargetType                 string      `xml:"TargetType"`
	IPAddressType              string      `xml:"IpAddressType,omitempty"`
}

type xmlTargetGroups struct {
	TargetGroups []xmlTargetGroup `xml:"TargetGroups>member"`
	NextMarker   string           `xml:"NextMarker,omitempty"`
}

type xmlAttributes struct {
	Attributes []xmlTag `xml:"Attributes>member"`
}

type xmlTarget struct {
	ID               string `xml:"Id"`
	Port             int32  `xml:"Port,omitempty"`
	AvailabilityZone string `xml:"AvailabilityZone,omitempty"`
}

type xmlTargetHealth struct {
	State       string `xml:"State"`
	Reason      string `xml:"Reason,omitempty"`
	Description string `xml:"Description,omitempty"`
}

type xmlTargetHealthDescription struct {
	Target          xmlTarget       `xml:"Target"`
	HealthCheckPort string          `xml:"HealthCheckPort,omitempty"`
	TargetHealth    xmlTargetHealth `xml:"TargetHealth"`
}

type xmlTargetHealthDescriptions struct {
	TargetHealthDescriptions []xmlTargetHealthDescription `xml:"TargetHealthDescriptions>member"`
}

// AppendXML renders the same document encoding/xml would from the tags
// above, without reflection: DescribeTargetHealth of 1,000 targets is a hot
// path, and its p99 must stay under 5 ms for the emulator to keep pace
// with a real controller at scale.
// SizeHint is a generous estimate of AppendXML's output: about 330 bytes a
// member with the longest reason and description.
func (d xmlTargetHealthDescriptions) SizeHint() int { return 64 + 360*len(d.TargetHealthDescriptions) }

func (d xmlTargetHealthDescriptions) AppendXML(dst []byte) []byte {
	if len(d.TargetHealthDescriptions) == 0 {
		return dst
	}
	dst = append(dst, "<TargetHealthDescriptions>"...)
	for _, m := range d.TargetHealthDescriptions {
		dst = append(dst, "<member><Target>"...)
		dst = query.AppendElement(dst, "Id", m.Target.ID)
		if m.Target.Port != 0 {
			dst = append(dst, "<Port>"...)
			dst = strconv.AppendInt(dst, int64(m.Target.Port), 10)
			dst = append(dst, "</Port>"...)
		}
		if m.Target.AvailabilityZone != "" {
			dst = query.AppendElement(dst, "AvailabilityZone", m.Target.AvailabilityZone)
		}
		dst = append(dst, "</Target>"...)
		if m.HealthCheckPort != "" {
			dst = query.AppendElement(dst, "HealthCheckPort", m.HealthCheckPort)
		}
		dst = append(dst, "<TargetHealth>"...)
		dst = query.AppendElement(dst, "State", m.TargetHealth.State)
		if m.TargetHealth.Reason != "" {
			dst = query.AppendElement(dst, "Reason", m.TargetHealth.Reason)
		}
		if m.TargetHealth.Description != "" {
			dst = query.AppendElement(dst, "Description", m.TargetHealth.Description)
		}
		dst = append(dst, "</TargetHealth></member>"...)
	}
	return append(dst, "</TargetHealthDescriptions>"...)
}

type xmlTagDescription struct {
	ResourceArn string   `xml:"ResourceArn"`
	Tags        []xmlTag `xml:"Tags>member"`
}

type xmlTagDescriptions struct {
	TagDescriptions []xmlTagDescription `xml:"TagDescriptions>member"`
}

type xmlLBState struct {
	Code string `xml:"Code"`
}

type xmlAvailabilityZone struct {
	ZoneName string `xml:"ZoneName"`
	SubnetID string `xml:"SubnetId,omitempty"`
}

type xmlLoadBalancer struct {
	LoadBalancerArn       string                `xml:"LoadBalancerArn"`
	DNSName               string                `xml:"DNSName"`
	CanonicalHostedZoneID string                `xml:"CanonicalHostedZoneId"`
	CreatedTime           string                `xml:"CreatedTime"`
	LoadBalancerName      string                `xml:"LoadBalancerName"`
	Scheme                string                `xml:"Scheme"`
	VpcID                 string                `xml:"VpcId"`
	State                 xmlLBState            `xml:"State"`
	Type                  string                `xml:"Type"`
	AvailabilityZones     []xmlAvailabilityZone `xml:"AvailabilityZones>member"`
	IPAddressType         string                `xml:"IpAddressType"`
}

type xmlLoadBalancers struct {
	LoadBalancers []xmlLoadBalancer `xml:"LoadBalancers>member"`
	NextMarker    string            `xml:"NextMarker,omitempty"`
}

type xmlTargetGroupTuple struct {
	TargetGroupArn string `xml:"TargetGroupArn"`
	Weight         *int32 `xml:"Weight,omitempty"`
}

type xmlStickiness struct {
	Enabled         bool  `xml:"Enabled"`
	DurationSeconds int32 `xml:"DurationSeconds,omitempty"`
}

type xmlForwardConfig struct {
	TargetGroups []xmlTargetGroupTuple `xml:"TargetGroups>member"`
	Stickiness   *xmlStickiness        `xml:"TargetGroupStickinessConfig,omitempty"`
}

type xmlAction struct {
	Type           string            `xml:"Type"`
	TargetGroupArn string            `xml:"TargetGroupArn,omitempty"`
	Order          int32             `xml:"Order,omitempty"`
	ForwardConfig  *xmlForwardConfig `xml:"ForwardConfig,omitempty"`
}

type xmlListener struct {
	ListenerArn     string      `xml:"ListenerArn"`
	LoadBalancerArn string      `xml:"LoadBalancerArn"`
	Port            int32       `xml:"Port"`
	Protocol        string      `xml:"Protocol"`
	DefaultActions  []xmlAction `xml:"DefaultActions>member"`
}

type xmlListeners struct {
	Listeners  []xmlListener `xml:"Listeners>member"`
	NextMarker string        `xml:"NextMarker,omitempty"`
}
