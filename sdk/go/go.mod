module github.com/bertc/bertc-go

go 1.24
