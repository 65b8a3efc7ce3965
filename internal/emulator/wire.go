package emulator

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
	Weight         int32  `xml:"Weight"`
}

type xmlForwardConfig struct {
	TargetGroups []xmlTargetGroupTuple `xml:"TargetGroups>member"`
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
