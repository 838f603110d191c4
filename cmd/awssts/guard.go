package main

import (
	"os"
	"slices"
	"strings"

	"github.com/awssts/awssts/internal/credcache"
)

// guardVariable carries, from one awssts to the processes it starts, the profiles that the
// awssts processes up the chain are loading as their source, one per line. The SDK runs a
// profile's credential_process with the environment of awssts, so a profile whose
// credential_process is awssts, loaded by awssts as its own source, shows up here again.
const guardVariable = "AWSSTS_LOADING_PROFILES"

// guard refuses to load a profile that an awssts further up is already loading, which would
// start awssts again without end, and otherwise adds it to the chain. It must run before the
// SDK configuration loads.
func guard(src credcache.Source) error {
	if src.Profile == "" {
		return nil
	}
	chain := os.Getenv(guardVariable)
	if slices.Contains(strings.Split(chain, "\n"), src.Profile) {
		return usagef("profile %q gets its credentials from awssts, which was asked to load that same profile as its source: "+
			"add --profile SOURCE to the awssts command in its credential_process, naming the profile that holds the source credentials", src.Profile)
	}
	if chain != "" {
		chain += "\n"
	}
	return os.Setenv(guardVariable, chain+src.Profile)
}
