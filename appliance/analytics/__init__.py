"""What the hotel learns from its calls: KPIs, live sentiment, /metrics, the dashboard, cloud sync."""
