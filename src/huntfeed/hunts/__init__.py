"""huntfeed.hunts"""
