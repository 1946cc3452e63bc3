//! JSON.stringify-form encoding (NOTES.md decision 6). Filled in by its issue.
