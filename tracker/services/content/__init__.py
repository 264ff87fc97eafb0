"""Course content: the YAML format and its checks, loading, the editor's publish workflow and export."""
