// The `omni` package: the napi-rs addon built by `napi build` (src/lib.rs) as omni.node.
'use strict'
module.exports = require('./omni.node')
