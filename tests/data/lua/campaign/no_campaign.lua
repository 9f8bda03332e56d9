local settings = { name = "forgot" }
