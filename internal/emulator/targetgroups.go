package emulator

import (
	"encoding/base64"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/probe"
	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/query"
)

const attrDeregistrationDelay = "deregistration_delay.timeout_seconds"

// Names of target groups and load balancers: at most 32 alphanumerics or
// hyphens, not starting or ending with a hyphen (CreateTargetGroup reference).
var resourceNamePattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?$`)

var (
	albProtocols = []string{"HTTP", "HTTPS"}
	nlbProtocols = []string{"TCP", "TLS", "UDP", "TCP_UDP", "QUIC", "TCP_QUIC"}
)

// targetGroupSpec is CreateTargetGroup's input after defaults.
type targetGroupSpec struct {
	name, protocol, protocolVersion, vpcID, targetType, ipAddressType string
	port                                                              int32
	hc                                                                healthCheck
}

func validName(name string) bool {
	return resourceNamePattern.MatchString(name) && !strings.HasPrefix(name, "internal-")
}

// parseTargetGroupSpec reads and validates CreateTargetGroup's parameters and
// fills the defaults the CreateTargetGroup reference lists.
func (e *Emulator) parseTargetGroupSpec(p query.Params) (targetGroupSpec, *query.Error) {
	s := targetGroupSpec{
		name:          p.String("Name"),
		protocol:      p.String("Protocol"),
		vpcID:         p.String("VpcId"),
		targetType:    p.String("TargetType"),
		ipAddressType: p.String("IpAddressType"),
	}
	if !validName(s.name) {
		return s, errValidation("Target group name '%s' can have a maximum of 32 characters, contain only alphanumerics or hyphens, must not begin or end with a hyphen, and must not begin with 'internal-'", s.name)
	}
	if s.targetType == "" {
		s.targetType = "instance" // the API's default target type
	}
	if !slices.Contains([]string{"instance", "ip", "lambda", "alb"}, s.targetType) {
		return s, errValidation("Target type '%s' must be one of instance, ip, lambda, alb", s.targetType)
	}
	if s.ipAddressType == "" {
		s.ipAddressType = "ipv4"
	}
	if s.ipAddressType != "ipv4" && s.ipAddressType != "ipv6" {
		return s, errValidation("IP address type '%s' must be ipv4 or ipv6", s.ipAddressType)
	}
	if s.targetType != "lambda" {
		if !slices.Contains(albProtocols, s.protocol) && !slices.Contains(nlbProtocols, s.protocol) {
			return s, errValidation("A valid protocol must be specified (HTTP, HTTPS, TCP, TLS, UDP, TCP_UDP); got '%s'", s.protocol)
		}
		port, ok, err := p.Int("Port")
		if err != nil {
			return s, paramError(err)
		}
		if !ok || port < 1 || port > 65535 {
			return s, errValidation("A port between 1 and 65535 must be specified for target type '%s'", s.targetType)
		}
		s.port = int32(port)
		if s.vpcID == "" {
			return s, errValidation("A VPC ID must be specified for target type '%s'", s.targetType)
		}
		if _, ok := e.vpc(s.vpcID); !ok {
			return s, errValidation("The VPC ID '%s' is not found", s.vpcID)
		}
	}
	if slices.Contains(albProtocols, s.protocol) {
		s.protocolVersion = p.String("ProtocolVersion")
		if s.protocolVersion == "" {
			s.protocolVersion = "HTTP1"
		}
		if !slices.Contains([]string{"HTTP1", "HTTP2", "GRPC"}, s.protocolVersion) {
			return s, errValidation("Protocol version '%s' must be HTTP1, HTTP2 or GRPC", s.protocolVersion)
		}
	}
	s.hc = defaultHealthCheck(s.protocol, s.targetType)
	if qe := applyHealthCheckParams(&s.hc, p, s.protocol); qe != nil {
		return s, qe
	}
	return s, nil
}

// defaultHealthCheck returns the defaults of the CreateTargetGroup
// reference: HTTP(S) groups check over their own protocol at "/" expecting
// 200, every 30 s with a 5 s timeout; TCP-family groups check over TCP with
// a 10 s timeout; thresholds 5 healthy, 2 unhealthy.
func defaultHealthCheck(protocol, targetType string) healthCheck {
	hc := healthCheck{enabled: targetType != "lambda", port: "traffic-port", interval: 30, timeout: 5, healthy: 5, unhealthy: 2}
	if slices.Contains(albProtocols, protocol) {
		hc.protocol = protocol
		hc.path = "/"
		hc.matcher = "200"
	} else {
		hc.protocol = "TCP"
		hc.timeout = 10
	}
	return hc
}

// applyHealthCheckParams overlays the HealthCheck* parameters on hc and
// validates the result against the reference's ranges.
func applyHealthCheckParams(hc *healthCheck, p query.Params, tgProtocol string) *query.Error {
	if v, ok, err := p.Bool("HealthCheckEnabled"); err != nil {
		return paramError(err)
	} else if ok {
		hc.enabled = v
	}
	if p.Has("HealthCheckProtocol") {
		proto := p.String("HealthCheckProtocol")
		if !slices.Contains([]string{"HTTP", "HTTPS", "TCP"}, proto) {
			return errValidation("Health check protocol '%s' must be HTTP, HTTPS or TCP", proto)
		}
		if slices.Contains(albProtocols, tgProtocol) && proto == "TCP" {
			return errValidation("Health check protocol TCP is not supported for target groups with the %s protocol", tgProtocol)
		}
		if proto != hc.protocol && (proto == "HTTP" || proto == "HTTPS") && hc.path == "" {
			hc.path = "/"
			hc.matcher = "200-399" // NLB HTTP health checks default to 200-399
		}
		hc.protocol = proto
	}
	if p.Has("HealthCheckPort") {
		port := p.String("HealthCheckPort")
		if port != "traffic-port" {
			n, err := strconv.Atoi(port)
			if err != nil || n < 1 || n > 65535 {
				return errValidation("Health check port '%s' must be 'traffic-port' or a port between 1 and 65535", port)
			}
		}
		hc.port = port
	}
	if p.Has("HealthCheckPath") {
		path := p.String("HealthCheckPath")
		if !strings.HasPrefix(path, "/") || len(path) > 1024 {
			return errValidation("Health check path '%s' must begin with '/' and be at most 1024 characters", path)
		}
		hc.path = path
	}
	ints := []struct {
		key      string
		dst      *int32
		min, max int64
	}{
		{"HealthCheckIntervalSeconds", &hc.interval, 5, 300},
		{"HealthCheckTimeoutSeconds", &hc.timeout, 2, 120},
		{"HealthyThresholdCount", &hc.healthy, 2, 10},
		{"UnhealthyThresholdCount", &hc.unhealthy, 2, 10},
	}
	for _, f := range ints {
		v, ok, err := p.Int(f.key)
		if err != nil {
			return paramError(err)
		}
		if !ok {
			continue
		}
		if v < f.min || v > f.max {
			return errValidation("%s must be between %d and %d; got %d", f.key, f.min, f.max, v)
		}
		*f.dst = int32(v)
	}
	if hc.timeout >= hc.interval {
		return errValidation("Health check timeout (%d) must be smaller than the interval (%d)", hc.timeout, hc.interval)
	}
	if p.Has("Matcher.HttpCode") {
		m := p.String("Matcher.HttpCode")
		if !probe.ValidMatcher(m) {
			return errValidation("Health check matcher HTTP code '%s' must be codes or ranges between 100 and 599, e.g. 200,202 or 200-299", m)
		}
		hc.matcher = m
	}
	if p.Has("Matcher.GrpcCode") {
		hc.grpcCode = p.String("Matcher.GrpcCode")
	}
	return nil
}

func (e *Emulator) vpc(id string) (VPC, bool) {
	for _, v := range e.cfg.VPCs {
		if v.ID == id {
			return v, true
		}
	}
	return e.book.vpc(id)
}

// defaultAttributes are the attributes DescribeTargetGroupAttributes returns
// for a new group (TargetGroupAttribute reference); ALB and NLB groups differ.
func defaultAttributes(protocol string) map[string]string {
	attrs := map[string]string{
		attrDeregistrationDelay:             "300",
		"stickiness.enabled":                "false",
		"load_balancing.cross_zone.enabled": "use_load_balancer_configuration",
		"target_group_health.dns_failover.minimum_healthy_targets.count": "1",
	}
	if slices.Contains(albProtocols, protocol) {
		attrs["stickiness.type"] = "lb_cookie"
		attrs["stickiness.lb_cookie.duration_seconds"] = "86400"
		attrs["slow_start.duration_seconds"] = "0"
		attrs["load_balancing.algorithm.type"] = "round_robin"
		return attrs
	}
	attrs["stickiness.type"] = "source_ip"
	attrs["deregistration_delay.connection_termination.enabled"] = "false"
	attrs["preserve_client_ip.enabled"] = "false"
	attrs["proxy_protocol_v2.enabled"] = "false"
	return attrs
}

func (e *Emulator) createTargetGroup(p query.Params) (any, *query.Error) {
	spec, qe := e.parseTargetGroupSpec(p)
	if qe != nil {
		return nil, qe
	}
	tags, qe := parseTags(p, "Tags")
	if qe != nil {
		return nil, qe
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if existing, ok := e.groupsByName[spec.name]; ok {
		// CreateTargetGroup is idempotent: identical settings return the
		// existing group, different ones fail (CreateTargetGroup reference).
		if existing.spec() != spec {
			return nil, errDuplicateTargetGroupName(spec.name)
		}
		return xmlTargetGroups{TargetGroups: []xmlTargetGroup{e.describeGroup(existing)}}, nil
	}
	g := &targetGroup{
		arn:             e.newTargetGroupARN(caller(p), spec.name),
		name:            spec.name,
		protocol:        spec.protocol,
		protocolVersion: spec.protocolVersion,
		port:            spec.port,
		vpcID:           spec.vpcID,
		targetType:      spec.targetType,
		ipAddressType:   spec.ipAddressType,
		hc:              spec.hc,
		attributes:      defaultAttributes(spec.protocol),
		targets:         map[targetKey]*target{},
	}
	e.groups[g.arn] = g
	e.groupsByName[g.name] = g
	if len(tags) > 0 {
		e.tags[g.arn] = tags
	}
	return xmlTargetGroups{TargetGroups: []xmlTargetGroup{e.describeGroup(g)}}, nil
}

func (g *targetGroup) spec() targetGroupSpec {
	return targetGroupSpec{
		name: g.name, protocol: g.protocol, protocolVersion: g.protocolVersion, vpcID: g.vpcID,
		targetType: g.targetType, ipAddressType: g.ipAddressType, port: g.port, hc: g.hc,
	}
}

// describeGroup renders g. Callers hold e.mu.
func (e *Emulator) describeGroup(g *targetGroup) xmlTargetGroup {
	out := xmlTargetGroup{
		TargetGroupArn:             g.arn,
		TargetGroupName:            g.name,
		Protocol:                   g.protocol,
		ProtocolVersion:            g.protocolVersion,
		Port:                       g.port,
		VpcID:                      g.vpcID,
		HealthCheckEnabled:         g.hc.enabled,
		HealthCheckProtocol:        g.hc.protocol,
		HealthCheckPort:            g.hc.port,
		HealthCheckPath:            g.hc.path,
		HealthCheckIntervalSeconds: g.hc.interval,
		HealthCheckTimeoutSeconds:  g.hc.timeout,
		HealthyThresholdCount:      g.hc.healthy,
		UnhealthyThresholdCount:    g.hc.unhealthy,
		TargetType:                 g.targetType,
		IPAddressType:              g.ipAddressType,
		LoadBalancerArns:           e.loadBalancersOf(g.arn),
	}
	if g.hc.matcher != "" || g.hc.grpcCode != "" {
		out.Matcher = &xmlMatcher{HTTPCode: g.hc.matcher, GrpcCode: g.hc.grpcCode}
	}
	return out
}

// loadBalancersOf lists the load balancers whose listeners forward to the
// group. Callers hold e.mu.
func (e *Emulator) loadBalancersOf(tgARN string) []string {
	var out []string
	for _, l := range e.listeners {
		if l.forward.has(tgARN) && !slices.Contains(out, l.lbARN) {
			out = append(out, l.lbARN)
		}
	}
	sort.Strings(out)
	return out
}

// lookupGroup resolves a target group ARN. Callers hold e.mu.
func (e *Emulator) lookupGroup(arn string) (*targetGroup, *query.Error) {
	if arn == "" {
		return nil, errValidation("A target group ARN must be specified")
	}
	if !targetGroupARNPattern.MatchString(arn) {
		return nil, errValidation("'%s' is not a valid target group ARN", arn)
	}
	g, ok := e.groups[arn]
	if !ok {
		return nil, errTargetGroupNotFound("Target groups '%s' not found", arn)
	}
	return g, nil
}

// pageSize reads PageSize: 1-400, default 400 (Describe* references).
func pageSize(p query.Params) (int, *query.Error) {
	n, ok, err := p.Int("PageSize")
	if err != nil {
		return 0, paramError(err)
	}
	if !ok {
		return 400, nil
	}
	if n < 1 || n > 400 {
		return 0, errValidation("Page size must be between 1 and 400; got %d", n)
	}
	return int(n), nil
}

// page cuts a sorted list of keys at an opaque marker: the marker encodes
// the last key returned, so pages stay consistent while resources come and go.
func page(keys []string, marker string, size int) (out []string, next string, qe *query.Error) {
	start := 0
	if marker != "" {
		raw, err := base64.RawURLEncoding.DecodeString(marker)
		if err != nil {
			return nil, "", errValidation("Invalid marker '%s'", marker)
		}
		start = sort.SearchStrings(keys, string(raw))
		if start < len(keys) && keys[start] == string(raw) {
			start++
		}
	}
	end := min(start+size, len(keys))
	out = keys[start:end]
	if end < len(keys) {
		next = base64.RawURLEncoding.EncodeToString([]byte(keys[end-1]))
	}
	return out, next, nil
}

func (e *Emulator) describeTargetGroups(p query.Params) (any, *query.Error) {
	size, qe := pageSize(p)
	if qe != nil {
		return nil, qe
	}
	arns, names, lbARN := p.List("TargetGroupArns"), p.List("Names"), p.String("LoadBalancerArn")
	filters := 0
	for _, set := range []bool{len(arns) > 0, len(names) > 0, lbARN != ""} {
		if set {
			filters++
		}
	}
	if filters > 1 {
		return nil, errValidation("Target group ARNs, names and a load balancer ARN cannot be specified together")
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	var selected []*targetGroup
	switch {
	case len(arns) > 0:
		for _, arn := range arns {
			g, qe := e.lookupGroup(arn)
			if qe != nil {
				return nil, qe
			}
			selected = append(selected, g)
		}
	case len(names) > 0:
		for _, name := range names {
			g, ok := e.groupsByName[name]
			if !ok {
				return nil, errTargetGroupNotFound("One or more target groups not found")
			}
			selected = append(selected, g)
		}
	case lbARN != "":
		if _, qe := e.lookupLoadBalancer(lbARN); qe != nil {
			return nil, qe
		}
		for _, g := range e.groups {
			if slices.Contains(e.loadBalancersOf(g.arn), lbARN) {
				selected = append(selected, g)
			}
		}
	default:
		selected = slices.Collect(maps.Values(e.groups))
	}
	byName := map[string]*targetGroup{}
	for _, g := range selected {
		if account := caller(p); account != "" && arnAccount(g.arn) != account {
			if len(names) > 0 {
				return nil, errTargetGroupNotFound("One or more target groups not found")
			}
			continue // another account's group
		}
		byName[g.name] = g
	}
	keys := slices.Sorted(maps.Keys(byName))
	keys, next, qe := page(keys, p.String("Marker"), size)
	if qe != nil {
		return nil, qe
	}
	out := xmlTargetGroups{NextMarker: next}
	for _, k := range keys {
		out.TargetGroups = append(out.TargetGroups, e.describeGroup(byName[k]))
	}
	return out, nil
}

func (e *Emulator) deleteTargetGroup(p query.Params) (any, *query.Error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	g, qe := e.lookupGroup(p.String("TargetGroupArn"))
	if qe != nil {
		return nil, qe
	}
	if lbs := e.loadBalancersOf(g.arn); len(lbs) > 0 {
		return nil, errResourceInUse("Target group '%s' is currently in use by a listener or a rule", g.arn)
	}
	for _, t := range slices.Clone(g.order) {
		e.removeTarget(g, t)
	}
	delete(e.groups, g.arn)
	delete(e.groupsByName, g.name)
	delete(e.tags, g.arn)
	return nil, nil
}

func (e *Emulator) modifyTargetGroup(p query.Params) (any, *query.Error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	g, qe := e.lookupGroup(p.String("TargetGroupArn"))
	if qe != nil {
		return nil, qe
	}
	hc := g.hc
	if qe := applyHealthCheckParams(&hc, p, g.protocol); qe != nil {
		return nil, qe
	}
	g.hc = hc
	// New settings take effect from the next check; targets keep their state.
	for _, t := range g.order {
		if !t.draining() {
			e.rescheduleProbe(g, t)
		}
	}
	return xmlTargetGroups{TargetGroups: []xmlTargetGroup{e.describeGroup(g)}}, nil
}

func (e *Emulator) describeTargetGroupAttributes(p query.Params) (any, *query.Error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	g, qe := e.lookupGroup(p.String("TargetGroupArn"))
	if qe != nil {
		return nil, qe
	}
	return attributesOf(g), nil
}

func attributesOf(g *targetGroup) xmlAttributes {
	var out xmlAttributes
	for _, k := range slices.Sorted(maps.Keys(g.attributes)) {
		out.Attributes = append(out.Attributes, xmlTag{Key: k, Value: g.attributes[k]})
	}
	return out
}

func (e *Emulator) modifyTargetGroupAttributes(p query.Params) (any, *query.Error) {
	attrs := p.Structs("Attributes")
	if len(attrs) == 0 {
		return nil, errValidation("At least one attribute must be specified")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	g, qe := e.lookupGroup(p.String("TargetGroupArn"))
	if qe != nil {
		return nil, qe
	}
	updates := map[string]string{}
	for _, a := range attrs {
		key, value := a.String("Key"), a.String("Value")
		if _, known := g.attributes[key]; !known {
			return nil, errValidation("Target group attribute key '%s' is not recognized", key)
		}
		if qe := validateAttribute(key, value); qe != nil {
			return nil, qe
		}
		updates[key] = value
	}
	// All or nothing: apply only once every attribute validated.
	maps.Copy(g.attributes, updates)
	return attributesOf(g), nil
}

func validateAttribute(key, value string) *query.Error {
	switch {
	case key == attrDeregistrationDelay:
		n, err := strconv.Atoi(value)
		if err != nil || n < 0 || n > 3600 {
			return errValidation("%s must be an integer between 0 and 3600; got '%s'", key, value)
		}
	case strings.HasSuffix(key, ".enabled") && key != "load_balancing.cross_zone.enabled":
		if value != "true" && value != "false" {
			return errValidation("%s must be true or false; got '%s'", key, value)
		}
	case strings.HasSuffix(key, "_seconds"):
		if _, err := strconv.Atoi(value); err != nil {
			return errValidation("%s must be an integer; got '%s'", key, value)
		}
	}
	return nil
}
