os.execute("touch /tmp/entrain-campaign-escape")
campaign { name = "escape" }
