"""Attributions straight from Linkrunner: the Data API client, incremental pulls campaign
by campaign, the automatic pull-and-send loop, and the `user_id,clevertap_id[,platform]`
mapping import.

    pull_once(db_path, api_key=...) -> PullReport        (lr_desktop.linkrunner.pull)
    watch(db_path, interval_seconds=..., send_automatically=..., stop=Event())
    import_id_mapping(db_path, path) -> MappingReport     (lr_desktop.linkrunner.idmap)

What an answer leaves out (platform, type, network) is derived in `derive.py`.
"""
