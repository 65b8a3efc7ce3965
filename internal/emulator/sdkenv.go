package emulator

import "os"

// SDKEnv is the environment, as KEY=VALUE pairs, that points an unmodified
// AWS SDK client (the controller's own included) at an emulator serving
// the ELBv2 and EC2 APIs at endpoint, in region. It is how a test or demo
// finds the emulator the way the controller finds any AWS endpoint,
// through the SDK's standard configuration
// (https://docs.aws.amazon.com/sdkref/latest/guide/settings-reference.html):
//
//   - AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2, AWS_ENDPOINT_URL_EC2 and
//     AWS_ENDPOINT_URL_STS are the service-specific endpoints (the
//     emulator serves the three APIs),
//     which win over any global AWS_ENDPOINT_URL;
//     AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=false keeps a host setting from
//     turning it off.
//   - Static keys: the emulator reads the SigV4 Authorization header but
//     does not verify the signature, so any keys do.
//   - Nothing from the host may leak in: the instance metadata service is
//     not asked for credentials (it would time out off EC2), the shared
//     config and credentials files are the empty os.DevNull, and an empty
//     AWS_PROFILE / AWS_DEFAULT_PROFILE counts as unset, so a developer's
//     profile cannot name a section those empty files lack.
//
// Append the pairs to an exec.Cmd's Env (later entries win), or split each
// on its first "=" for os.Setenv.
func SDKEnv(endpoint, region string) []string {
	return []string{
		"AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2=" + endpoint,
		"AWS_ENDPOINT_URL_EC2=" + endpoint,
		"AWS_ENDPOINT_URL_STS=" + endpoint,
		"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=false",
		"AWS_REGION=" + region,
		"AWS_ACCESS_KEY_ID=AKIDEMULATOR",
		"AWS_SECRET_ACCESS_KEY=emulator-secret",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"AWS_PROFILE=",
		"AWS_DEFAULT_PROFILE=",
	}
}
