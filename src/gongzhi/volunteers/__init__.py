"""在职党员双报到 and 志愿者: reporting to the home community, posts, pairs, problems, service logs, the yearly
evaluation and the report back to the employer; volunteer profiles, teams and 啄木鸟 reports."""
