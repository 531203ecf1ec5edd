"""One line per finished pipeline stage, so a long run shows where it is."""

from __future__ import annotations

import logging

from junheng.retry import is_io_error

STAGES = {
    "check-output": "检查输出目录",
    "archive-inbox": "归档收件",
    "record-received": "登记收到的文件",
    "read-chunk": "读取一批报表",
    "read-returns": "读取报表",
    "load-county-return": "县级报表入库",
    "validate-returns": "校验数据",
    "roster-check": "核对学校名册",
    "load-and-compute": "入库并计算指标",
    "policy-violations": "核查政策标准",
    "missing-returns": "统计逾期未报",
    "alerts": "生成预警并通知",
    "read-marts": "读取结果",
    "publish-reports": "发布报告",
    "county-report": "县域分析报告",
    "school-feedback": "学校反馈与报送情况",
    "city-rollup": "汇总各县进展",
    "city-report": "城市报告",
    "city-alerts": "城市预警",
}

_STATES = {
    "Failed": "失败",
    "Crashed": "异常中止",
    "Cancelled": "已取消",
    "Completed": "完成",
    "Cached": "完成",
    "TimedOut": "超时",
}


class Progress(logging.Handler):
    """Prints one line per finished pipeline stage."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.done = 0

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        name = str(getattr(record, "task_name", "") or "")
        label = STAGES.get(name, name)
        if " - Retry " in msg and isinstance(record.args, tuple) and len(record.args) >= 4:
            _, exc, attempt, total = record.args[:4]
            why = "数据仓库或文件暂时无法访问" if isinstance(exc, BaseException) and is_io_error(exc) else "出错"
            print(f"  {label}{why}，第 {attempt}/{total} 次重试", flush=True)
            return
        if not msg.startswith("Finished in state"):
            return
        if label:
            self.done += 1
            raw = msg.removeprefix("Finished in state ").strip()
            state = next((zh for en, zh in _STATES.items() if raw.startswith(en)), raw)
            print(f"  [{self.done}] {label}：{state}", flush=True)


def show_progress() -> None:
    """Prefect re-applies its logging config when it starts a server, which drops foreign handlers;
    so the progress handler is (re)installed after every Prefect logging set-up."""
    import prefect.logging.configuration as plc

    handler = Progress()

    def install() -> None:
        logger = logging.getLogger("prefect.task_runs")
        logger.setLevel(logging.INFO)
        logger.propagate = False  # the stage lines replace Prefect's own INFO lines in the terminal
        if handler not in logger.handlers:
            logger.addHandler(handler)

    original = plc.setup_logging

    def setup_logging(incremental: bool | None = None) -> dict[str, object]:
        config = original(incremental)
        install()
        return config

    plc.setup_logging = setup_logging
    install()
