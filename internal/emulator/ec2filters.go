package emulator

import (
	"encoding/base64"
	"strconv"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/query"
)

// EC2's Describe* filters: Filter.N.Name and Filter.N.Value.M. A resource
// matches when, for every filter, one of its values for the filter's name
// matches one of the filter's values; values may use * (any run of
// characters) and ? (one character)
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/Query-Requests.html#query-filtering).

type ec2Filter struct {
	name   string
	values []string
}

// ec2Fields are a resource's values per filter name. A documented name the
// resource has no value for (a tag it lacks) maps to nothing, so a filter
// on it matches no resource; a name not in the map is not a filter of the
// action.
type ec2Fields map[string][]string

func parseEC2Filters(p query.Params) ([]ec2Filter, *query.Error) {
	var out []ec2Filter
	for _, f := range p.FlatStructs("Filter") {
		name := f.String("Name")
		if name == "" {
			return nil, errEC2("InvalidParameterValue", "The filter 'null' is invalid")
		}
		out = append(out, ec2Filter{name: name, values: f.FlatList("Value")})
	}
	return out, nil
}

// matchEC2Filters reports whether fields pass every filter. The names in
// fields are the action's filters; tag:<key> always is one.
func matchEC2Filters(filters []ec2Filter, fields ec2Fields) (bool, *query.Error) {
	for _, f := range filters {
		if _, known := fields[f.name]; !known && !isTagFilter(f.name) {
			return false, errEC2("InvalidParameterValue", "The filter '"+f.name+"' is invalid")
		}
		if !anyMatch(fields[f.name], f.values) {
			return false, nil
		}
	}
	return true, nil
}

func isTagFilter(name string) bool { return len(name) > 4 && name[:4] == "tag:" }

func anyMatch(have, patterns []string) bool {
	for _, h := range have {
		for _, p := range patterns {
			if globMatch(p, h) {
				return true
			}
		}
	}
	return false
}

// globMatch matches s against p, where * is any run of characters and ?
// one character; EC2 filter values have no other special characters.
func globMatch(p, s string) bool {
	star, mark := -1, 0
	i, j := 0, 0
	for j < len(s) {
		switch {
		case i < len(p) && (p[i] == '?' || p[i] == s[j]):
			i++
			j++
		case i < len(p) && p[i] == '*':
			star, mark = i, j
			i++
		case star >= 0:
			i = star + 1
			mark++
			j = mark
		default:
			return false
		}
	}
	for i < len(p) && p[i] == '*' {
		i++
	}
	return i == len(p)
}

// ec2Page applies MaxResults (5 to 1000, as DescribeVpcs and
// DescribeSecurityGroups document) and NextToken, an opaque offset, to n
// sorted items: it returns the range to answer and the next token.
func ec2Page(p query.Params, n int) (from, to int, next string, qe *query.Error) {
	max, given, err := p.Int("MaxResults")
	if err != nil {
		return 0, 0, "", errEC2("InvalidParameterValue", err.Error())
	}
	if given && (max < 5 || max > 1000) {
		return 0, 0, "", errEC2("InvalidParameterValue", "Value ( "+strconv.FormatInt(max, 10)+" ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.")
	}
	if token := p.String("NextToken"); token != "" {
		raw, err := base64.RawURLEncoding.DecodeString(token)
		off, convErr := strconv.Atoi(string(raw))
		if err != nil || convErr != nil || off < 0 || off > n {
			return 0, 0, "", errEC2("InvalidPaginationToken", "The specified pagination token is not valid or is expired.")
		}
		from = off
	}
	to = n
	if given && from+int(max) < n {
		to = from + int(max)
		next = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(to)))
	}
	return from, to, next, nil
}
