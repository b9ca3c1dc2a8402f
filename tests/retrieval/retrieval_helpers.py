"""Notes made up for retrieval tests."""


def long_meeting(items: int = 120) -> str:
    lines = ["Lab meeting on 7/7/2023", "", "Presenter: Ada Byron", "Topic: Long sediment survey", ""]
    lines += [f"{i}. Site {i}: core length {i % 40 + 10} cm, colour band {i % 7}, sampled by team {i % 5}"
              for i in range(1, items + 1)]
    return "\n".join(lines) + "\n"
