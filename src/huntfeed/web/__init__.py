"""huntfeed.web"""
