"""Messages that come in from outside: a digest recipient's WhatsApp question (Twilio's inbound
webhook, whatsapp_webhook.py) answered from the tenant's calls (replies.py)."""
