// Package deploy holds no code, only tests that keep the deployment files at
// the repository's root honest: docker-compose.yml, Dockerfile and
// .dockerignore.
//
// No Docker engine runs in CI, so nothing here builds an image or starts a
// container. Instead the tests load docker-compose.yml with compose-go (the
// library Docker Compose itself uses, so a file it rejects would not start),
// check that its services are wired together as the registry expects, and
// read the Dockerfile to check that it builds the same ./cmd/acv package, with
// the same Go version and cgo setting, that the tests build, from a build
// context that contains every source file that build needs.
//
// The package imports nothing outside its tests; its tests may import
// compose-go and the standard library and run the go command.
package deploy
