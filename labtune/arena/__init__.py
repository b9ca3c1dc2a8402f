"""Which run is better: blind pairwise votes (people or a judge), stored in SQLite, rated by Elo and
Bradley-Terry as LMSYS's Chatbot Arena does (FastChat `fastchat/serve/monitor/elo_analysis.py`)."""
