module omni/bindings/go

go 1.19
