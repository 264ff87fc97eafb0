"""The AI-literacy programme: the inventory of AI systems (`inventory`), the training they and job roles require
and the assignments that follow (`requirements`), versioned policies and their acknowledgements (`policies`),
the coverage of AI systems by training (`coverage`), the signed evidence pack (`evidence_pack`; its files in
`evidence_pack_files` and `evidence_pack_records`, its PDF in `evidence_pack_pdf`; checked by
`pack_verification`), the works-council privacy settings and the retention schedule (`privacy`), and the
organisation-specific course template (`course_template`).

Evidence pack and retention are plain functions (no request, no commit) so a background job can call them.
"""
