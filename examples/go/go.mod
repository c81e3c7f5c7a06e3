module github.com/bertc/bertc-go/examples/pipeline

go 1.24

require github.com/bertc/bertc-go v0.0.0-00010101000000-000000000000

replace github.com/bertc/bertc-go => ../../sdk/go
