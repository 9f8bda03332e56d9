local t = {}
error("the campaign file failed on purpose")
campaign(t)
