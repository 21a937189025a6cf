"""huntfeed.feeds"""
