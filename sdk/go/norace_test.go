//go:build !race

package bertc_test

const raceEnabled = false
